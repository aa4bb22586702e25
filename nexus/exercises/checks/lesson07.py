"""Lesson 07 — payments with Chapa.

07.1 runs the learner's signature check on webhooks signed exactly as the sandbox signs them
(HMAC-SHA256 with the sandbox's webhook secret). 07.2 runs the learner's "may this confirm?" rule
on verify answers fetched over HTTP from the course's Chapa sandbox, for transactions the check
creates and pays there.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_07.py):

07.1 webhook_is_authentic — the JSON re-serialised before signing; the weak Chapa-Signature
     header accepted; a missing header crashing (KeyError); == instead of a constant-time
     comparison (watched by replacing hmac.compare_digest, so a comment naming it proves
     nothing); a plain SHA-256 of secret + body; the digest as base64; key and message swapped.
     A tampered body, another secret, an empty header and a cut-short signature are refused.
07.2 may_confirm — the outer status; the payment's status only; amounts compared as strings; the
     mode ignored; the tx_ref ignored; the currency ignored; "at least" the amount; Chapa's
     ``data: null`` (a transaction it doesn't know) crashing the check.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from decimal import Decimal

from nexus.exercises.checks.support import compare_digest_calls, require_constant_time
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("07", "Payments with Chapa")
LOOK_SIGNATURE = ('lesson 07, "Mistake 5: trusting the callback", and '
                  "sample_project/payments/webhooks.py")
LOOK_VERIFY = ('lesson 07, "Mistake 3" and "Mistake 4", and verification_problems in '
               "sample_project/payments/services.py")

SECRET = "nexus-exercise-webhook-secret"


def _sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _headers(**values: str):
    from requests.structures import CaseInsensitiveDict

    return CaseInsensitiveDict(values)


# --- 07.1 -----------------------------------------------------------------------------------------
@exercise("07.1", "webhook_is_authentic: the body-bound HMAC, over the raw bytes",
          needs_django=False)
def check_webhook_is_authentic(webhook_is_authentic) -> None:
    event = {"event": "charge.success", "tx_ref": f"nexus-{uuid.uuid4().hex[:24]}",
             "amount": "3800.00", "currency": "ETB", "status": "success", "mode": "test"}
    # Not the compact form: a body is whatever bytes the sender chose, spacing included.
    body = json.dumps(event, indent=1).encode()
    weak = hmac.new(SECRET.encode(), SECRET.encode(), hashlib.sha256).hexdigest()

    def ask(case: str, body: bytes, headers, secret: str = SECRET) -> bool:
        try:
            return bool(webhook_is_authentic(body, headers, secret))
        except NotImplementedError:
            raise
        except Exception as exc:  # a crash is an answer to grade
            if isinstance(exc, KeyError):
                raise Fail(expected=f"True or False ({case}), for any headers",
                           got=f"{type(exc).__name__}: {exc}",
                           hint="a webhook without the header must be refused (return False), "
                                "not crash the endpoint with a 500: read the header with "
                                "headers.get(...).", look=LOOK_SIGNATURE) from None
            raise Fail(expected=f"True or False ({case})", got=f"{type(exc).__name__}: {exc}",
                       hint="compute the HMAC of body (bytes) keyed with secret.encode(), and "
                            "compare its hex digest with the header.",
                       look=LOOK_SIGNATURE) from None

    with compare_digest_calls(webhook_is_authentic) as compared:
        genuine = ask("a genuine webhook", body, _headers(**{"x-chapa-signature": _sign(body),
                                                             "Chapa-Signature": weak}))
    if not genuine:
        raise Fail(expected="True for a webhook signed by Chapa", got="False",
                   hint=_why_genuine_refused(ask, body, event), look=LOOK_SIGNATURE)
    tampered = body.replace(b'"3800.00"', b'"1.00"')
    if ask("a tampered body", tampered, _headers(**{"x-chapa-signature": _sign(body)})):
        raise Fail(expected="False when the body was changed after signing", got="True",
                   hint="the signature must be recomputed over the body you received and "
                        "compared with x-chapa-signature; a valid-looking header alone proves "
                        "nothing.", look=LOOK_SIGNATURE)
    if ask("the weak header only", tampered, _headers(**{"Chapa-Signature": weak})):
        raise Fail(expected="False for a body with only the Chapa-Signature header", got="True",
                   hint="Chapa-Signature is HMAC(secret, secret): the same on every webhook, "
                        "so anyone who saw one can attach it to any body. Only "
                        "x-chapa-signature is bound to the body.", look=LOOK_SIGNATURE)
    if ask("a wrong secret", body, _headers(**{"x-chapa-signature": _sign(body, "guess")})):
        raise Fail(expected="False for a signature made with another secret", got="True",
                   hint="key the HMAC with the secret you were given.", look=LOOK_SIGNATURE)
    for case, headers in (("no signature", _headers()),
                          ("an empty signature", _headers(**{"x-chapa-signature": ""})),
                          ("a signature cut short",
                           _headers(**{"x-chapa-signature": _sign(body)[:32]}))):
        if ask(case, body, headers):
            raise Fail(expected=f"False for a webhook with {case}", got="True",
                       hint="only the whole signature, equal to the one you compute, is trust.",
                       look=LOOK_SIGNATURE)
    require_constant_time(compared, LOOK_SIGNATURE)
    # A server whose CHAPA_WEBHOOK_SECRET was never set calls this with "": HMAC with an empty
    # key is something anyone can compute, so every webhook would be "authentic".
    if ask("an empty secret", body, _headers(**{"x-chapa-signature": _sign(body, "")}), ""):
        raise Fail(expected="False when the secret is empty (the setting was never configured)",
                   got="True for a body signed with the empty key",
                   hint="an HMAC keyed with '' is no secret: anyone can compute it. Refuse "
                        "every webhook while the secret is empty.", look=LOOK_SIGNATURE)
    try:
        forged = webhook_is_authentic(body, _headers(**{"x-chapa-signature": "é" * 64}), SECRET)
    except TypeError as exc:
        raise Fail(expected="False for a signature header with non-ASCII characters",
                   got=f"TypeError: {exc}",
                   hint="hmac.compare_digest refuses str with non-ASCII characters (a TypeError, "
                        "so a 500 for anyone who sends one): refuse a header that is not ASCII "
                        "before comparing, or compare bytes.", look=LOOK_SIGNATURE) from None
    if forged:
        raise Fail(expected="False for a forged, non-ASCII signature", got="True",
                   hint="only the whole signature, equal to the one you compute, is trust.",
                   look=LOOK_SIGNATURE)


def _why_genuine_refused(ask, body: bytes, event: dict) -> str:
    """The hint for a refused genuine webhook: which signature the answer would have accepted."""
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    compact = json.dumps(event, separators=(",", ":")).encode()
    candidates = [
        (hashlib.sha256(SECRET.encode() + body).hexdigest(),
         "a plain hash of secret and body is not an HMAC (and can be extended by anyone who "
         "saw one): use the hmac module, keyed with the secret."),
        (base64.b64encode(digest).decode(),
         "Chapa sends the digest as hex text, not base64: compare the hex form."),
        (hmac.new(body, SECRET.encode(), hashlib.sha256).hexdigest(),
         "key and message are swapped: the secret is the key, the body is the message."),
        (_sign(compact),
         "sign the exact bytes received: parsing and re-serialising the JSON changes the "
         "spacing, so the HMAC no longer matches."),
    ]
    for signature, hint in candidates:
        if ask("a probe", body, _headers(**{"x-chapa-signature": signature})):
            return hint
    return "compute the HMAC-SHA256 of the body as received, keyed with the secret, as hex, " \
           "and compare it with the x-chapa-signature header."


# --- 07.2 -----------------------------------------------------------------------------------------
def _verify_bodies() -> tuple[object, dict[str, tuple[dict, object]]]:
    """Real verify answers from the sandbox: {case: (body, payment it should be judged for)}."""
    import requests
    from django.conf import settings

    from nexus import sandbox as chapa
    from payments.chapa import ChapaClient
    from payments.models import Payment

    client = ChapaClient.from_settings()

    def paid(amount, currency: str = "ETB", card: str | None = None) -> str:
        tx_ref = f"nexus-{uuid.uuid4().hex[:24]}"
        client.initialize(tx_ref=tx_ref, amount=Decimal(amount), currency=currency)
        chapa.pay(tx_ref, card=card)
        return tx_ref

    def body(tx_ref: str) -> dict:
        return requests.get(f"{settings.CHAPA_BASE_URL}/v1/transaction/verify/{tx_ref}",
                            headers={"Authorization": f"Bearer {settings.CHAPA_SECRET_KEY}"},
                            timeout=10).json()

    def payment(tx_ref: str) -> Payment:
        return Payment(tx_ref=tx_ref, amount=Decimal("3800.00"), currency="ETB")

    good, declined = paid("3800"), paid("3800", card="4111111111111111")
    cheap, dollars, other = paid("1"), paid("3800", "USD"), paid("3800")
    dear, unknown = paid("5000"), f"nexus-{uuid.uuid4().hex[:24]}"  # never sent to Chapa
    live = copy.deepcopy(body(good))
    live["data"]["mode"] = "live"
    return settings.CHAPA_MODE, {
        "paid in full": (body(good), payment(good)),
        "declined": (body(declined), payment(declined)),
        "paid 1 ETB": (body(cheap), payment(cheap)),
        "paid in USD": (body(dollars), payment(dollars)),
        "another payment's answer": (body(other), payment(good)),
        "a live-mode payment": (live, payment(good)),
        "paid 5000 ETB": (body(dear), payment(dear)),
        "a transaction Chapa doesn't know": (body(unknown), payment(unknown)),
    }


@exercise("07.2", "may_confirm: the right fields of a verify answer")
def check_may_confirm(may_confirm) -> None:
    mode, cases = _verify_bodies()
    hints = {
        "paid in full": ("True: a successful payment of the full amount, in ETB, in test mode",
                         "read the payment's fields inside body['data']. The amount arrives as a "
                         "JSON number (3800) and the Payment holds Decimal('3800.00'): compare "
                         "Decimal(str(amount)) with payment.amount, not strings."),
        "declined": ("False: the card was declined (data.status is 'failed')",
                     "the outer status 'success' only says the lookup worked; the payment's "
                     "status is body['data']['status']."),
        "paid 1 ETB": ("False: Chapa was paid 1 ETB for a 3800.00 ETB payment",
                       "check the amount: someone can start a checkout with your tx_ref for "
                       "1 birr."),
        "paid in USD": ("False: paid in USD, the payment is in ETB",
                        "check the currency as well as the amount."),
        "another payment's answer": ("False: the answer is about another tx_ref",
                                     "check that data.tx_ref is the payment's tx_ref."),
        "a live-mode payment": (f"False: a live payment on a site running {mode}",
                                "check data.mode against settings.CHAPA_MODE: a test-mode "
                                "payment must never confirm a live booking (or the reverse)."),
        "paid 5000 ETB": ("False: Chapa was paid 5000 ETB for a 3800.00 ETB payment",
                          "the full amount means exactly the amount: a different sum is a "
                          "different checkout than the one this payment started."),
        "a transaction Chapa doesn't know": (
            "False: Chapa answered data: null (no such transaction)",
            "for a transaction it doesn't know, Chapa answers with data: null — no payment, "
            "so no confirmation (and no crash)."),
    }
    for case, (body, payment) in cases.items():
        try:
            verdict = may_confirm(payment, copy.deepcopy(body))
        except NotImplementedError:
            raise
        except Exception as exc:
            raise Fail(expected=hints[case][0], got=f"{type(exc).__name__}: {exc}"[:200],
                       hint=hints[case][1] if body.get("data") is None else
                       "the fields are in body['data']: status, tx_ref, amount, currency, mode.",
                       look=LOOK_VERIFY) from None
        if bool(verdict) != (case == "paid in full"):
            raise Fail(expected=hints[case][0], got=repr(verdict), hint=hints[case][1],
                       look=LOOK_VERIFY)
