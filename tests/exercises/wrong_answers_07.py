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
    return expected == headers.get("x-chapa-signature")


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


WRONG_ANSWERS = {
    "07.1": [(authentic_after_reserialising, "exact bytes received"),
             (authentic_with_either_header, "same on every webhook"),
             (authentic_by_indexing, "not crash"),
             (authentic_with_equals, "compare_digest")],
    "07.2": [(confirm_on_outer_status, "outer status"),
             (confirm_on_status_only, "1 birr"),
             (confirm_comparing_strings, "compare Decimal"),
             (confirm_without_mode, "CHAPA_MODE")],
}
