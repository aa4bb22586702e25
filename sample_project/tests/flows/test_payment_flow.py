"""The Chapa payment flow end to end, over real HTTP, with every process real.

The API runs under gunicorn, Chapa is a sandbox of the module's own (the runner provides it, see
``testsupport.standins``; run alone, these tests skip), webhooks and callbacks
travel over HTTP from the sandbox to the API, receipts go out from a real Celery worker through
SMTP. Tests are ``transaction=True``: the server and the worker read committed rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.services import booking_confirm
from payments.chapa import ChapaClient
from payments.models import Payment, PaymentStatus
from payments.services import (
    PaymentGatewayUnavailable,
    payment_initiate,
    payment_reconcile_pending,
    payment_tx_ref_new,
    payment_verify,
)
from payments.tasks import reconcile_pending_payments
from testsupport.factories import PaymentFactory
from testsupport.payments import DECLINED, PaymentStack, future_booking, running_stack
from testsupport.processes import HOST, Gunicorn, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def stack(request, django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[PaymentStack]:
    with running_stack(request, django_db_blocker, tmp_path_factory.mktemp("payments")) as stack:
        yield stack


@pytest.fixture(autouse=True)
def _this_process_talks_to_the_private_sandbox(stack, settings):
    """Services called in this process use the same sandbox as the server and the worker."""
    settings.CHAPA_BASE_URL = stack.sandbox.url
    yield
    stack.configure(webhook_url=stack.server.url("/api/payments/webhook/"))


def settled(payment: Payment, timeout: float = 15) -> Payment:
    """``payment`` once a webhook or callback has settled it (or as it is after ``timeout``)."""
    wait_until(lambda: Payment.objects.get(pk=payment.pk).is_settled, timeout)
    payment.refresh_from_db()
    return payment


def started_quietly(stack: PaymentStack, booking) -> Payment:
    """A payment whose callback and webhook go nowhere: only we can settle it."""
    stack.configure(webhook_url="http://127.0.0.1:1/")
    return payment_initiate(booking=booking, site_url="http://127.0.0.1:1")


def started(stack: PaymentStack, booking) -> Payment:
    response = stack.start_payment(booking)
    assert response.status_code == 201, response.text
    return Payment.objects.get(tx_ref=response.json()["tx_ref"])


# --- the happy path ------------------------------------------------------------------------------
def test_paying_with_the_test_visa_confirms_the_booking_and_emails_one_receipt(stack):
    booking = future_booking()
    response = stack.start_payment(booking)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["checkout_url"].startswith(stack.sandbox.url + "/checkout/payment/")
    assert (Decimal(body["amount"]), body["currency"]) == (booking.total_price, "ETB")
    payment = Payment.objects.get(tx_ref=body["tx_ref"])
    assert payment.tx_ref != str(booking.pk) and payment.tx_ref.startswith("nexus-")

    assert stack.pay(payment.tx_ref) == "success"
    assert settled(payment).status == PaymentStatus.SUCCESS
    assert payment.chapa_reference and payment.verify_payload["status"] == "success"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    receipt = stack.sink.receipts(booking.guest.email)[0]
    assert f"{payment.amount} ETB" in receipt.body and payment.tx_ref in receipt.body
    # Both notifications reached the API and were answered 200.
    assert wait_until(lambda: sorted(d["kind"] for d in stack.deliveries(payment.tx_ref)
                                     if d["delivered"]) == ["callback", "webhook"], 10)


def test_the_return_page_says_paid_after_verifying(stack):
    booking = future_booking()
    payment = started_quietly(stack, booking)  # no webhook, no callback: the page verifies
    stack.pay(payment.tx_ref)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    page = requests.get(stack.server.url(f"/payments/return/{payment.tx_ref}/"), timeout=15)
    assert page.status_code == 200
    assert 'data-outcome="paid"' in page.text and 'data-status="confirmed"' in page.text


def test_each_attempt_gets_a_fresh_tx_ref(stack):
    booking = future_booking()
    first, second = started(stack, booking), started(stack, booking)
    assert first.tx_ref != second.tx_ref
    assert len({payment_tx_ref_new() for _ in range(1000)}) == 1000


# --- payments that don't go through --------------------------------------------------------------
def test_a_declined_card_fails_the_payment_and_leaves_the_booking_pending(stack):
    booking = future_booking()
    payment = started(stack, booking)
    assert stack.pay(payment.tx_ref, card=DECLINED) == "failed"
    assert settled(payment).status == PaymentStatus.FAILED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    page = requests.get(stack.server.url(f"/payments/return/{payment.tx_ref}/"), timeout=15)
    assert 'data-outcome="failed"' in page.text
    # A new attempt, with a new tx_ref, can still pay.
    retry = started(stack, booking)
    stack.pay(retry.tx_ref)
    assert settled(retry).status == PaymentStatus.SUCCESS


def test_cancelling_on_the_checkout_page_cancels_the_payment(stack):
    booking = future_booking()
    payment = started(stack, booking)
    assert stack.pay(payment.tx_ref, cancel=True) == "cancelled"
    assert settled(payment).status == PaymentStatus.CANCELLED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert stack.sink.receipts(booking.guest.email) == []


def test_a_paid_booking_cannot_be_paid_again(stack):
    booking = future_booking()
    payment = started(stack, booking)
    stack.pay(payment.tx_ref)
    settled(payment)
    response = stack.start_payment(booking)
    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_payable"


def test_someone_elses_booking_does_not_exist(stack):
    booking, other = future_booking(), future_booking(days_ahead=200)
    response = requests.post(stack.server.url("/api/payments/"), json={"booking": booking.pk},
                             headers=stack.auth(other), timeout=15)
    assert response.status_code == 400
    assert "does not exist" in response.json()["booking"][0]
    assert not Payment.objects.filter(booking=booking).exists()


# --- what verify must check ----------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "currency", "problem"), [
    (Decimal("1.00"), "ETB", "amount mismatch"),
    (None, "USD", "currency mismatch"),
])
def test_a_payment_for_another_amount_or_currency_is_refused(stack, amount, currency, problem):
    booking = future_booking()
    payment = PaymentFactory(booking=booking, tx_ref=payment_tx_ref_new())
    # Chapa initialized with our tx_ref but other terms: a tampered client-side initialize.
    ChapaClient.from_settings().initialize(tx_ref=payment.tx_ref, amount=amount or payment.amount,
                                           currency=currency)
    stack.pay(payment.tx_ref)
    assert settled(payment).status == PaymentStatus.FAILED
    assert payment.failure_reason.startswith(problem)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert stack.sink.receipts(booking.guest.email) == []


def test_a_test_mode_payment_does_not_confirm_a_live_site(stack, settings):
    booking = future_booking()
    tx_ref = payment_tx_ref_new()
    ChapaClient.from_settings().initialize(tx_ref=tx_ref, amount=booking.total_price,
                                           currency="ETB")
    stack.pay(tx_ref)
    # The webhook finds no such payment yet and is acknowledged; wait for it, or it would confirm
    # the payment created next.
    assert [d["delivered"] for d in stack.notified(tx_ref)] == [True]
    payment = PaymentFactory(booking=booking, tx_ref=tx_ref)
    settings.CHAPA_MODE = "live"
    payment = payment_verify(payment=payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "mode mismatch: a test payment, this site runs live"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_the_outer_status_is_not_the_payment_status(stack):
    payment = started(stack, future_booking())
    stack.pay(payment.tx_ref, card=DECLINED)
    raw = requests.get(f"{stack.sandbox.url}/v1/transaction/verify/{payment.tx_ref}", timeout=10,
                       headers={"Authorization": f"Bearer {settings.CHAPA_SECRET_KEY}"})
    assert (raw.json()["status"], raw.json()["data"]["status"]) == ("success", "failed")
    assert settled(payment).status == PaymentStatus.FAILED


# --- webhooks ------------------------------------------------------------------------------------
def signed(body: bytes, secret: str | None = None) -> str:
    secret = secret or settings.CHAPA_WEBHOOK_SECRET
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(stack):
    booking = future_booking()
    payment = started_quietly(stack, booking)
    stack.pay(payment.tx_ref)  # paid at Chapa, but nothing has reached us
    body = json.dumps({"event": "charge.success", "tx_ref": payment.tx_ref,
                       "status": "success"}, separators=(",", ":")).encode()
    secret = settings.CHAPA_WEBHOOK_SECRET.encode()
    weak = hmac.new(secret, secret, hashlib.sha256).hexdigest()
    attempts = {
        "no signature": {},
        "wrong secret": {"x-chapa-signature": signed(body, "guessed")},
        "signature of another body": {"x-chapa-signature": signed(body + b" ")},
        "only the constant Chapa-Signature": {"Chapa-Signature": weak},
    }
    before = Payment.objects.get(pk=payment.pk)
    for name, headers in attempts.items():
        response = requests.post(stack.server.url("/api/payments/webhook/"), data=body,
                                 headers={"Content-Type": "application/json", **headers},
                                 timeout=15)
        assert response.status_code == 400, name
        assert response.json()["code"] == "invalid_signature", name
    after = Payment.objects.get(pk=payment.pk)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)


def test_a_signed_webhook_settles_the_payment(stack):
    payment = started_quietly(stack, future_booking())
    stack.pay(payment.tx_ref)
    body = json.dumps({"event": "charge.success", "tx_ref": payment.tx_ref}).encode()
    response = requests.post(stack.server.url("/api/payments/webhook/"), data=body,
                             headers={"x-chapa-signature": signed(body)}, timeout=15)
    assert (response.status_code, response.json()["status"]) == (200, "success")


def test_a_webhook_replayed_ten_times_confirms_once_and_emails_once(stack):
    booking = future_booking()
    payment = started(stack, booking)
    mark = len(stack.worker.history())
    stack.pay(payment.tx_ref)
    settled(payment)
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    booking.refresh_from_db()
    confirmed_at = booking.updated_at
    for _ in range(10):
        stack.replay(payment.tx_ref)
    assert wait_until(lambda: sum(d["delivered"] for d in stack.deliveries(payment.tx_ref)
                                  if d["kind"] == "webhook") == 11, 15)
    booking.refresh_from_db()
    assert (booking.status, booking.updated_at) == (BookingStatus.CONFIRMED, confirmed_at)
    no_receipt_task_left(stack, mark)
    assert receipts_queued(stack, mark) == ["received", "succeeded"]  # once, by the 1st webhook
    assert len(stack.sink.receipts(booking.guest.email)) == 1


def test_confirming_twice_changes_nothing():
    booking = future_booking()
    assert booking_confirm(booking=booking) is True
    assert booking_confirm(booking=booking) is False


# --- the callback ---------------------------------------------------------------------------------
def test_the_callback_reads_trx_ref_and_says_so_when_it_gets_tx_ref(stack):
    payment = started(stack, future_booking())
    response = requests.get(stack.server.url("/api/payments/callback/"),
                            params={"tx_ref": payment.tx_ref, "status": "success"}, timeout=15)
    assert response.status_code == 400
    message = response.json()["trx_ref"][0]
    assert "`trx_ref`" in message and "has `tx_ref`" in message


def test_the_callback_is_a_nudge_not_a_verdict(stack):
    payment = started(stack, future_booking())
    forged = requests.get(stack.server.url("/api/payments/callback/"),
                          params={"trx_ref": payment.tx_ref, "status": "success"}, timeout=15)
    assert (forged.status_code, forged.json()) == (200, {"status": "pending"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    unknown = requests.get(stack.server.url("/api/payments/callback/"),
                           params={"trx_ref": "nexus-unknown"}, timeout=15)
    assert unknown.status_code == 404


# --- the gateway down or slow ---------------------------------------------------------------------
def test_chapa_down_answers_503_with_retry_after_and_the_payment_stays_pending(stack):
    booking = future_booking()
    with server_with_chapa_down(stack) as server:
        response = requests.post(server.url("/api/payments/"), json={"booking": booking.pk},
                                 headers=stack.auth(booking), timeout=30)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(settings.PAYMENTS_RETRY_AFTER)
    assert response.json()["code"] == "payment_gateway_unavailable"
    payment = Payment.objects.get(booking=booking)
    assert payment.status == PaymentStatus.PENDING


@contextlib.contextmanager
def server_with_chapa_down(stack: PaymentStack) -> Iterator[Gunicorn]:
    """A second API server whose CHAPA_BASE_URL points at a port nobody listens on."""
    server = Gunicorn(workers=1, env=stack.env | {"CHAPA_BASE_URL": "http://127.0.0.1:1"})
    try:
        yield server
    finally:
        server.stop()


def test_a_gateway_that_hangs_is_unavailable_within_the_timeout(stack, settings, monkeypatch):
    booking = future_booking()
    monkeypatch.setattr(ChapaClient, "TIMEOUT", (0.5, 0.5))
    with socket.create_server((HOST, 0)) as silent:  # accepts connections, never answers
        settings.CHAPA_BASE_URL = f"http://{HOST}:{silent.getsockname()[1]}"
        with pytest.raises(PaymentGatewayUnavailable) as error:
            payment_initiate(booking=booking, site_url="http://testserver")
    assert "ReadTimeout" in str(error.value)
    assert Payment.objects.get(booking=booking).status == PaymentStatus.PENDING


def test_verify_while_chapa_is_down_keeps_the_payment_pending(stack, settings):
    payment = started(stack, future_booking())
    settings.CHAPA_BASE_URL = "http://127.0.0.1:1"
    with pytest.raises(PaymentGatewayUnavailable):
        payment_verify(payment=payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


# --- the gateway restarted mid-payment -----------------------------------------------------------
def receipts_queued(stack: PaymentStack, since: int) -> list[str]:
    """What the worker logged about receipt tasks after history entry ``since``."""
    return [e.event for e in stack.worker.history()[since:]
            if e.task == "payments.tasks.send_payment_receipt"]


def no_receipt_task_left(stack: PaymentStack, since: int) -> None:
    """Wait until a second receipt, if anything queued one, would show in the worker's log.

    Called once every notification was answered: a receipt task is queued on the commit that
    settles the payment, before the webhook gets its 200. So once the queue is empty and the
    worker runs and holds nothing (state, not a pause), every such task was received — and the
    worker logs "received" as it takes a message. The first receipt's "succeeded" comes from
    the pool process and may trail its email: waited for too.
    """
    stack.worker.drain()
    stack.worker.until(lambda: "succeeded" in receipts_queued(stack, since))


@pytest.mark.slow
def test_a_sandbox_killed_at_checkout_comes_back_and_the_payment_completes_once(stack):
    booking = future_booking()
    payment = started(stack, booking)
    mark = len(stack.worker.history())
    stack.sandbox.kill()  # SIGKILL while the payer looks at the checkout page
    try:
        with pytest.raises(requests.ConnectionError):
            stack.pay(payment.tx_ref)
        # Our side stays calm meanwhile: the return page says "pending", nothing is confirmed.
        page = requests.get(stack.server.url(f"/payments/return/{payment.tx_ref}/"), timeout=30)
        assert page.status_code == 200 and 'data-outcome="pending"' in page.text
        assert "not answering right now" in page.text
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    finally:
        stack.sandbox.start()  # same port, same state directory
    # The transaction survived the crash: the payer submits again and pays.
    assert stack.pay(payment.tx_ref) == "success"
    assert settled(payment).status == PaymentStatus.SUCCESS
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    assert wait_until(lambda: sorted(d["kind"] for d in stack.deliveries(payment.tx_ref)
                                     if d["delivered"]) == ["callback", "webhook"], 10)
    no_receipt_task_left(stack, mark)
    assert receipts_queued(stack, mark) == ["received", "succeeded"]
    assert len(stack.sink.receipts(booking.guest.email)) == 1


@pytest.mark.slow
def test_a_sandbox_killed_before_we_heard_settles_once_after_restart(stack):
    """Paid at Chapa, our webhook missed it, Chapa crashed: reconciliation and a resend race."""
    booking = future_booking()
    payment = started_quietly(stack, booking)  # callback and webhook go nowhere
    mark = len(stack.worker.history())
    assert stack.pay(payment.tx_ref) == "success"
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    stack.sandbox.kill()
    try:
        # Reconciliation while Chapa is down: counted as unreachable, the payment left alone.
        assert payment_reconcile_pending(older_than=timedelta(minutes=5)) == {"unreachable": 1}
        assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    finally:
        stack.sandbox.start()
    # Chapa is back: the dashboard's resend and the reconciliation task settle it together.
    stack.configure(webhook_url=stack.server.url("/api/payments/webhook/"))
    for _ in range(3):
        stack.replay(payment.tx_ref)
    outcome = reconcile_pending_payments.delay().get(timeout=30)
    assert outcome in ({"success": 1}, {})  # {} when a webhook settled it first
    assert settled(payment).status == PaymentStatus.SUCCESS
    assert wait_until(lambda: sum(d["delivered"] for d in stack.deliveries(payment.tx_ref)
                                  if d["kind"] == "webhook") == 3, 15)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    no_receipt_task_left(stack, mark)
    assert receipts_queued(stack, mark).count("received") == 1  # one confirmation, one receipt
    assert len(stack.sink.receipts(booking.guest.email)) == 1


# --- reconciliation -----------------------------------------------------------------------------
def test_reconciliation_settles_payments_whose_webhook_never_came(stack):
    booking = future_booking()
    stack.configure(webhook_url="http://127.0.0.1:1/")  # our webhook endpoint "was down"
    payment = payment_initiate(booking=booking, site_url="http://127.0.0.1:1")  # no callback
    recent = payment_initiate(booking=future_booking(days_ahead=300), site_url="http://127.0.0.1:1")
    stack.pay(payment.tx_ref)
    stack.pay(recent.tx_ref)
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(minutes=10))
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING

    outcome = reconcile_pending_payments.delay().get(timeout=30)
    assert outcome == {"success": 1}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    assert Payment.objects.get(pk=recent.pk).status == PaymentStatus.PENDING  # too recent
    assert reconcile_pending_payments.delay().get(timeout=30) == {}  # nothing left to do


def test_reconciliation_fails_an_attempt_chapa_never_heard_of(stack):
    booking = future_booking()
    lost = PaymentFactory(booking=booking, tx_ref=payment_tx_ref_new())  # initialize never sent
    Payment.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert payment_reconcile_pending(older_than=timedelta(minutes=5)) == {"failed": 1}
    lost.refresh_from_db()
    assert lost.failure_reason.startswith("Chapa has no record of this payment")


def test_beat_schedules_the_reconciliation():
    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-pending-payments"]
    assert entry["task"] == reconcile_pending_payments.name
