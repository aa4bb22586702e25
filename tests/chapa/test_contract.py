"""The sandbox against shared/CHAPA_CONTRACT.md, one behaviour per test, over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.parse
import uuid

import pytest
import requests

from nexus.proc import wait_until
from nexus.standins.chapa import config

#: The same in every profile (a private Chapa sandbox, no course service):
#: the external profile's run leaves it out.
pytestmark = pytest.mark.any_profile

INIT = "/v1/transaction/initialize"


def tx_ref() -> str:
    return f"nexus-test-{uuid.uuid4().hex[:12]}"


def initialize(sandbox, **fields):
    body = {"amount": "400", "currency": "ETB", "tx_ref": tx_ref(), "email": "abebe@example.com",
            "first_name": "Abebe", "last_name": "Bikila"} | fields
    response = sandbox.api("POST", INIT, json=body)
    assert response.status_code == 200, response.text
    return body["tx_ref"], response.json()["data"]["checkout_url"]


def pay_form(sandbox, checkout_url: str, form: dict) -> requests.Response:
    return requests.post(checkout_url, data=form, timeout=10, allow_redirects=False)


VISA = {"method": "card", "card_number": "4200 0000 0000 0000", "expiry": "12/34", "cvv": "123"}


# --- keys ---------------------------------------------------------------------------------------
def test_missing_authorization_is_401(sandbox):
    response = sandbox.api("POST", INIT, key=None, json={})
    assert response.status_code == 401
    assert response.json() == {"message": "Authorization required", "status": "failed",
                                "data": None}


def test_unknown_key_is_401(sandbox):
    response = sandbox.api("GET", "/v1/transaction/verify/x", key="CHASECK_TEST-not-ours")
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid API Key or User doesn't exist"


def test_live_and_test_keys_cannot_verify_each_others_transactions(sandbox):
    test_ref, _ = initialize(sandbox)
    response = sandbox.api("GET", f"/v1/transaction/verify/{test_ref}",
                           key=config.LIVE_SECRET_KEY)
    assert response.status_code == 401
    assert response.json()["message"] == (
        "Live secret keys can't be used to verify a test transaction")
    live_ref = tx_ref()
    sandbox.api("POST", INIT, key=config.LIVE_SECRET_KEY,
                json={"amount": 10, "currency": "ETB", "tx_ref": live_ref})
    response = sandbox.api("GET", f"/v1/transaction/verify/{live_ref}")
    assert response.json()["message"] == (
        "Test secret keys can't be used to verify a live transaction")


# --- initialize ---------------------------------------------------------------------------------
def test_initialize_returns_a_hosted_link_and_nothing_else(sandbox):
    ref = tx_ref()
    response = sandbox.api("POST", INIT, json={"amount": 400, "currency": "ETB", "tx_ref": ref})
    body = response.json()
    assert (response.status_code, body["message"], body["status"]) == (200, "Hosted Link",
                                                                       "success")
    assert list(body["data"]) == ["checkout_url"]
    assert re.fullmatch(rf"{sandbox.url}/checkout/payment/[\w-]+", body["data"]["checkout_url"])


@pytest.mark.parametrize("encoding", ["json-nested", "json-brackets", "form-brackets"])
def test_initialize_accepts_every_encoding_chapa_accepts(sandbox, encoding):
    ref = tx_ref()
    base = {"amount": "250.50", "currency": "USD", "tx_ref": ref}
    custom = {"title": "Lake Tana stay", "description": "2 nights"}
    if encoding == "json-nested":
        response = sandbox.api("POST", INIT, json=base | {"customization": custom,
                                                          "meta": {"booking": "7"}})
    else:
        flat = base | {f"customization[{k}]": v for k, v in custom.items()} | {
            "meta[booking]": "7"}
        response = (sandbox.api("POST", INIT, json=flat) if encoding == "json-brackets"
                    else sandbox.api("POST", INIT, data=flat))
    assert response.status_code == 200, response.text
    page = requests.get(response.json()["data"]["checkout_url"], timeout=10).text
    assert "Lake Tana stay" in page and "2 nights" in page and "250.50 USD" in page
    pay_form(sandbox, response.json()["data"]["checkout_url"], VISA)
    data = sandbox.api("GET", f"/v1/transaction/verify/{ref}").json()["data"]
    assert data["customization"]["title"] == "Lake Tana stay"
    assert data["meta"] == {"booking": "7"}
    assert data["amount"] == 250.5 and data["currency"] == "USD"


def test_missing_required_fields_are_named(sandbox):
    response = sandbox.api("POST", INIT, json={"email": "a@example.com"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failed" and body["data"] is None
    assert set(body["message"]) == {"amount", "currency", "tx_ref"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("currency", "EUR", "Invalid currency, EUR is not supported"),
    ("amount", "-5", {"amount": ["The amount must be greater than 0."]}),
    ("amount", "lots", {"amount": ["The amount must be a number."]}),
    ("phone_number", "+251911", {"phone_number": [
        "The phone number must be 10 digits starting with 09 or 07."]}),
])
def test_bad_values_are_400_with_chapas_message(sandbox, field, value, message):
    body = {"amount": "100", "currency": "ETB", "tx_ref": tx_ref(), field: value}
    response = sandbox.api("POST", INIT, json=body)
    assert response.status_code == 400
    assert response.json() == {"message": message, "status": "failed", "data": None}


def test_a_reused_tx_ref_is_refused(sandbox):
    ref, _ = initialize(sandbox)
    response = sandbox.api("POST", INIT, json={"amount": 1, "currency": "ETB", "tx_ref": ref})
    assert response.status_code == 400
    assert response.json()["message"] == "Transaction reference has been used before"


# --- verify ---------------------------------------------------------------------------------------
def test_verify_unknown_and_unpaid(sandbox):
    unknown = sandbox.api("GET", "/v1/transaction/verify/never-initialized")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Invalid transaction or Transaction not found",
                              "status": "failed", "data": None}
    ref, _ = initialize(sandbox)
    pending = sandbox.api("GET", f"/v1/transaction/verify/{ref}")
    assert pending.status_code == 404
    assert pending.json() == {"message": "Payment not paid yet", "status": None, "data": None}


def test_verify_a_paid_transaction(sandbox):
    ref, checkout = initialize(sandbox, amount="400")
    pay_form(sandbox, checkout, VISA)
    response = sandbox.api("GET", f"/v1/transaction/verify/{ref}")
    body = response.json()
    assert (response.status_code, body["message"], body["status"]) == (200, "Payment details",
                                                                       "success")
    data = body["data"]
    assert (data["status"], data["tx_ref"], data["mode"], data["amount"], data["charge"]) == (
        "success", ref, "test", 400, 14)
    assert data["reference"].startswith("AP") and data["created_at"].endswith("Z")


def test_outer_success_is_not_paid(sandbox):
    """The classic bug: the outer status says the lookup worked, data.status says failed."""
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA | {"card_number": "4111111111111111"})
    body = sandbox.api("GET", f"/v1/transaction/verify/{ref}").json()
    assert body["status"] == "success" and body["data"]["status"] == "failed"


# --- checkout -------------------------------------------------------------------------------------
def test_checkout_page_shows_amount_merchant_and_test_instruments(sandbox):
    _, checkout = initialize(sandbox, amount="1250",
                             customization={"title": "Nexus Stays", "description": "<b>x</b>"})
    page = requests.get(checkout, timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    for text in ("1,250.00 ETB", "Nexus Stays", "4200 0000 0000 0000", "0900123456",
                 "Cancel payment", "TEST MODE"):
        assert text in page.text
    assert "<b>x</b>" not in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text  # escaped


@pytest.mark.parametrize(("form", "status"), [
    (VISA, "success"),
    ({"method": "card", "card_number": "3700000000000000", "expiry": "12/34", "cvv": "1234"},
     "success"),
    ({"method": "card", "card_number": "5400000000000000", "expiry": "12/34", "cvv": "999"},
     "success"),
    (VISA | {"cvv": "999"}, "failed"),
    (VISA | {"expiry": "01/30"}, "failed"),
    (VISA | {"card_number": "4111111111111111"}, "failed"),
    ({"method": "mobile", "phone": "0900123456", "otp": "12345"}, "success"),
    ({"method": "mobile", "phone": "0900881111", "otp": "12345"}, "success"),
    ({"method": "mobile", "phone": "0900123456", "otp": "00000"}, "failed"),
    ({"method": "mobile", "phone": "0911000000", "otp": "12345"}, "failed"),
    ({"action": "cancel"}, "cancelled"),
])
def test_test_instruments_succeed_and_others_fail(sandbox, form, status):
    ref, checkout = initialize(sandbox)
    result = pay_form(sandbox, checkout, form)
    assert result.status_code == 200
    assert f'data-status="{status}"' in result.text
    assert sandbox.api("GET", f"/v1/transaction/verify/{ref}").json()["data"]["status"] == status


def test_paying_redirects_to_return_url_and_a_second_submit_changes_nothing(sandbox):
    ref, checkout = initialize(sandbox, return_url="http://127.0.0.1:9/bookings/7/paid")
    first = pay_form(sandbox, checkout, VISA)
    assert first.status_code == 303
    assert first.headers["Location"] == "http://127.0.0.1:9/bookings/7/paid"
    pay_form(sandbox, checkout, {"action": "cancel"})
    assert sandbox.api("GET", f"/v1/transaction/verify/{ref}").json()["data"]["status"] == (
        "success")


# --- callback and webhooks ------------------------------------------------------------------------
def test_callback_uses_trx_ref(sandbox, merchant):
    ref, checkout = initialize(sandbox, callback_url=merchant.url("/payments/callback/"))
    pay_form(sandbox, checkout, VISA)
    (call,) = merchant.wait_for(1)
    assert call["method"] == "GET"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(call["path"]).query)
    assert query["trx_ref"] == [ref] and query["status"] == ["success"]
    assert query["ref_id"][0].startswith("AP") and "tx_ref" not in query


def test_webhook_is_flat_json_signed_over_the_exact_bytes(sandbox, merchant):
    sandbox.configure(webhook_url=merchant.url("/payments/webhook/"))
    ref, checkout = initialize(sandbox, amount="400")
    pay_form(sandbox, checkout, {"method": "mobile", "phone": "0900123456", "otp": "12345"})
    (hook,) = merchant.wait_for(1)
    assert hook["method"] == "POST" and hook["path"] == "/payments/webhook/"
    body = json.loads(hook["body"])
    assert (body["event"], body["status"], body["tx_ref"], body["mode"]) == (
        "charge.success", "success", ref, "test")
    assert (body["amount"], body["charge"], body["mobile"]) == ("400.00", "14.00", "0900123456")
    assert "data" not in body
    secret = config.WEBHOOK_SECRET.encode()
    assert hook["headers"]["x-chapa-signature"] == hmac.new(
        secret, hook["body"], hashlib.sha256).hexdigest()
    assert hook["headers"]["chapa-signature"] == hmac.new(
        secret, secret, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("form", "event"), [({"action": "cancel"}, "charge.cancelled"),
                                             (VISA | {"cvv": "000"}, "charge.failed")])
def test_failed_and_cancelled_payments_send_their_events(sandbox, merchant, form, event):
    sandbox.configure(webhook_url=merchant.url("/hook"))
    _, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, form)
    assert json.loads(merchant.wait_for(1)[0]["body"])["event"] == event


def test_webhook_is_retried_until_answered_with_200(sandbox, merchant):
    merchant.answers = [500, 503]
    sandbox.configure(webhook_url=merchant.url("/hook"), retry_interval=0.2)
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    received = merchant.wait_for(3)
    assert len({r["body"] for r in received}) == 1  # the same event each time
    assert received[2]["at"] - received[0]["at"] >= 0.35  # spaced by the retry interval
    (delivery,) = sandbox.deliveries(ref)
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["delivered"] is True


def test_retries_stop_after_ten_attempts(sandbox, merchant):
    merchant.answers = [500] * 50
    sandbox.configure(webhook_url=merchant.url("/hook"), retry_interval=0.05)
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    merchant.wait_for(config.WEBHOOK_ATTEMPTS)
    # "pending" turns false when the sandbox records that it gave up, after its last attempt:
    # an attempt too many would have reached the merchant by then.
    assert wait_until(lambda: not sandbox.deliveries(ref)[0]["pending"], 10)
    (delivery,) = sandbox.deliveries(ref)
    assert len(delivery["attempts"]) == config.WEBHOOK_ATTEMPTS and not delivery["delivered"]
    assert len(merchant.received) == config.WEBHOOK_ATTEMPTS


def test_a_hanging_receiver_delays_no_other_payments_webhook(sandbox, merchant):
    sandbox.configure(webhook_url=merchant.url("/hook"))
    slow_ref, slow_checkout = initialize(sandbox)
    merchant.hold.add(slow_ref)
    pay_form(sandbox, slow_checkout, VISA)
    (held,) = merchant.wait_for(1)  # the first payment's webhook arrived and gets no answer
    assert json.loads(held["body"])["tx_ref"] == slow_ref
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    # Longer than the sandbox's 10 s request timeout, so a sender that waits for each answer in
    # turn gets here too (after giving up on the held request) and fails on the state below.
    assert wait_until(lambda: ref in {json.loads(r["body"])["tx_ref"] for r in merchant.received},
                      30)
    (slow,) = sandbox.deliveries(slow_ref)
    assert slow["attempts"] == []  # the held request was still unanswered when the other arrived
    merchant.release.set()
    assert wait_until(lambda: sandbox.deliveries(slow_ref)[0]["delivered"], 10)


def test_a_webhook_url_that_is_no_url_is_a_failed_attempt(sandbox):
    sandbox.configure(webhook_url="/payments/webhook/", retry_interval=0.05)
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    assert wait_until(lambda: not sandbox.deliveries(ref)[0]["pending"], 10)
    (delivery,) = sandbox.deliveries(ref)
    assert len(delivery["attempts"]) == config.WEBHOOK_ATTEMPTS
    assert "unknown url type" in delivery["attempts"][0]["error"]


def test_replay_sends_the_same_signed_bytes_again(sandbox, merchant):
    sandbox.configure(webhook_url=merchant.url("/hook"))
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    merchant.wait_for(1)
    replayed = requests.post(sandbox.url + f"/_sandbox/transactions/{ref}/replay", timeout=10)
    assert replayed.status_code == 200
    first, second = merchant.wait_for(2)
    assert first["body"] == second["body"]
    assert first["headers"]["x-chapa-signature"] == second["headers"]["x-chapa-signature"]


def test_state_survives_a_killed_sandbox(sandbox):
    ref, checkout = initialize(sandbox)
    pay_form(sandbox, checkout, VISA)
    sandbox.kill()
    sandbox.start()  # same port, same state folder
    data = sandbox.api("GET", f"/v1/transaction/verify/{ref}").json()["data"]
    assert (data["tx_ref"], data["status"]) == (ref, "success")
