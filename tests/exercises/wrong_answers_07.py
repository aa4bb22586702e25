"""Plausible wrong answers to the exercises of lesson 07, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

# --- 07.1 webhook_is_authentic --------------------------------------------------------------------


def authentic_after_reserialising(body, headers, secret):
    import hashlib
    import hmac
    import json

    # "Normalise" the JSON first: the bytes signed are no longer the bytes received.
    canonical = json.dumps(json.loads(body), separators=(",", ":")).encode()
    signature = headers.get("x-chapa-signature") or ""
    return hmac.compare_digest(hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest(),
                               signature)


def authentic_with_either_header(body, headers, secret):
    import hashlib
    import hmac

    # Chapa's docs say either header will do.
    weak = hmac.new(secret.encode(), secret.encode(), hashlib.sha256).hexdigest()
    strong = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if hmac.compare_digest(weak, headers.get("Chapa-Signature") or ""):
        return True
    return hmac.compare_digest(strong, headers.get("x-chapa-signature") or "")


def authentic_by_indexing(body, headers, secret):
    import hashlib
    import hmac

    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-chapa-signature"])


def authentic_with_equals(body, headers, secret):
    import hashlib
    import hmac

    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # hmac.compare_digest(expected, signature) is the same thing, in more words
    return expected == headers.get("x-chapa-signature")


def authentic_plain_hash(body, headers, secret):
    import hashlib
    import hmac

    expected = hashlib.sha256(secret.encode() + body).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-chapa-signature") or "")


def authentic_base64(body, headers, secret):
    import base64
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, headers.get("x-chapa-signature") or "")


def authentic_swapped_key(body, headers, secret):
    import hashlib
    import hmac

    expected = hmac.new(body, secret.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-chapa-signature") or "")


# --- 07.2 may_confirm -----------------------------------------------------------------------------


def confirm_on_outer_status(payment, body):
    return body["status"] == "success"


def confirm_on_status_only(payment, body):
    return body["data"]["status"] == "success" and body["data"]["tx_ref"] == payment.tx_ref


def confirm_comparing_strings(payment, body):
    from django.conf import settings

    data = body["data"]
    return (data["status"] == "success" and data["tx_ref"] == payment.tx_ref
            and str(data["amount"]) == str(payment.amount)
            and data["currency"] == payment.currency and data["mode"] == settings.CHAPA_MODE)


def confirm_without_mode(payment, body):
    from decimal import Decimal

    data = body["data"]
    return (data["status"] == "success" and data["tx_ref"] == payment.tx_ref
            and Decimal(str(data["amount"])) == payment.amount
            and data["currency"] == payment.currency)


def _verdict(payment, data, *, tx_ref=True, currency=True, amount=lambda paid, ours: paid == ours):
    from decimal import Decimal

    from django.conf import settings

    return (data.get("status") == "success"
            and (not tx_ref or data.get("tx_ref") == payment.tx_ref)
            and amount(Decimal(str(data.get("amount"))), payment.amount)
            and (not currency or data.get("currency") == payment.currency)
            and data.get("mode") == settings.CHAPA_MODE)


def confirm_on_data_directly(payment, body):
    return _verdict(payment, body["data"])  # "data is always there"


def confirm_without_tx_ref(payment, body):
    return _verdict(payment, body.get("data") or {}, tx_ref=False)


def confirm_without_currency(payment, body):
    return _verdict(payment, body.get("data") or {}, currency=False)


def confirm_at_least_the_amount(payment, body):
    return _verdict(payment, body.get("data") or {}, amount=lambda paid, ours: paid >= ours)


def authentic_with_an_empty_secret(body, headers, secret):
    import hashlib
    import hmac

    # Right in every way, except that an unset secret ("") is used as a key like any other.
    signature = headers.get("x-chapa-signature")
    if not signature or not signature.isascii():
        return False
    return hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                               signature)


def authentic_crashing_on_non_ascii(body, headers, secret):
    import hashlib
    import hmac

    # Right in every way, but compare_digest raises TypeError on a non-ASCII str.
    signature = headers.get("x-chapa-signature")
    if not signature or not secret:
        return False
    return hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                               signature)


# --- 07.3 payment_start ---------------------------------------------------------------------------
def _payment_start(booking, site_url, *, tx_ref=None, amount=str, store_first=True,
                   atomic=False, callback="{root}/api/payments/callback/",
                   return_url="{root}/payments/return/{tx_ref}/", timeout=(3.05, 10),
                   on_refusal="fail", on_outage="propagate"):
    """The model answer, with one thing done the way a wrong answer does it."""
    import contextlib
    import secrets

    import requests
    from django.conf import settings
    from django.db import transaction

    from payments.chapa import ChapaRejected
    from payments.models import Payment

    root = site_url.rstrip("/")
    tx_ref = tx_ref or f"nexus-{secrets.token_hex(12)}"

    def store():
        return Payment.objects.create(booking=booking, tx_ref=tx_ref,
                                      amount=booking.total_price, currency="ETB")

    with transaction.atomic() if atomic else contextlib.nullcontext():
        payment = store() if store_first else None
        fields = {"tx_ref": tx_ref, "amount": amount(booking.total_price), "currency": "ETB",
                  "email": booking.guest.email,
                  "return_url": return_url.format(root=root, tx_ref=tx_ref)}
        if callback:
            fields["callback_url"] = callback.format(root=root)
        try:
            response = requests.post(f"{settings.CHAPA_BASE_URL}/v1/transaction/initialize",
                                     headers={"Authorization":
                                              f"Bearer {settings.CHAPA_SECRET_KEY}"},
                                     json=fields, timeout=timeout)
        except requests.RequestException:
            if on_outage == "fail" and payment is not None:
                payment.status, payment.failure_reason = "failed", "Chapa did not answer"
                payment.save()
            raise
        payment = payment or store()
    if on_refusal == "crash":
        payment.checkout_url = response.json()["data"]["checkout_url"]
    elif on_refusal == "raise_for_status":
        response.raise_for_status()
        payment.checkout_url = response.json()["data"]["checkout_url"]
    elif response.status_code >= 400:
        message = response.json().get("message")
        payment.status, payment.failure_reason = "failed", str(message)[:255]
        payment.save()
        raise ChapaRejected(message, status_code=response.status_code)
    else:
        payment.checkout_url = response.json()["data"]["checkout_url"]
    payment.save()
    return payment


def start_decimal_amount(booking, site_url):
    return _payment_start(booking, site_url, amount=lambda total: total)  # json= and a Decimal


def start_in_cents(booking, site_url):
    return _payment_start(booking, site_url, amount=lambda total: str(int(total * 100)))


def start_initialize_first(booking, site_url):
    # "Only store it once Chapa said yes."
    return _payment_start(booking, site_url, store_first=False)


def start_inside_atomic(booking, site_url):
    # "All or nothing: if Chapa fails, no Payment row."
    return _payment_start(booking, site_url, atomic=True)


def start_booking_ref(booking, site_url):
    return _payment_start(booking, site_url, tx_ref=f"booking-{booking.pk}")


def start_without_callback(booking, site_url):
    return _payment_start(booking, site_url, callback="")  # "the webhook is enough"


def start_relative_callback(booking, site_url):
    return _payment_start(booking, site_url, callback="/api/payments/callback/")


def start_without_timeout(booking, site_url):
    return _payment_start(booking, site_url, timeout=None)


def start_crash_on_refusal(booking, site_url):
    return _payment_start(booking, site_url, on_refusal="crash")


def start_pending_on_refusal(booking, site_url):
    return _payment_start(booking, site_url, on_refusal="raise_for_status")


def start_failed_on_outage(booking, site_url):
    return _payment_start(booking, site_url, on_outage="fail")


def start_return_home(booking, site_url):
    return _payment_start(booking, site_url, return_url="{root}/")


WRONG_ANSWERS = {
    "07.1": [(authentic_after_reserialising, "exact bytes received"),
             (authentic_with_either_header, "same on every webhook"),
             (authentic_by_indexing, "not crash"),
             (authentic_with_equals, "stops at the first differing character"),
             (authentic_plain_hash, "a plain hash of secret and body is not an HMAC"),
             (authentic_base64, "as hex text, not base64"),
             (authentic_swapped_key, "key and message are swapped"),
             (authentic_with_an_empty_secret, "Refuse every webhook while the secret is empty"),
             (authentic_crashing_on_non_ascii, "refuses str with non-ASCII characters")],
    "07.2": [(confirm_on_outer_status, "outer status"),
             (confirm_on_status_only, "1 birr"),
             (confirm_comparing_strings, "compare Decimal"),
             (confirm_without_mode, "CHAPA_MODE"),
             (confirm_on_data_directly, "Chapa answers with data: null"),
             (confirm_without_tx_ref, "data.tx_ref is the payment's tx_ref"),
             (confirm_without_currency, "check the currency"),
             (confirm_at_least_the_amount, "the full amount means exactly the amount")],
    "07.3": [(start_decimal_amount, "JSON has no Decimal"),
             (start_in_cents, "not in cents"),
             (start_initialize_first, "store the Payment first"),
             (start_inside_atomic, "isn't committed yet"),
             (start_booking_ref, "never one made from the booking"),
             (start_without_callback, "give Chapa a callback_url"),
             (start_relative_callback, "give it the absolute URL"),
             (start_without_timeout, "pass timeout= to requests"),
             (start_crash_on_refusal, "look at the status code first"),
             (start_pending_on_refusal, "mark the attempt failed"),
             (start_failed_on_outage, "leave the attempt pending"),
             (start_return_home, "a return_url that names this attempt")],
}
