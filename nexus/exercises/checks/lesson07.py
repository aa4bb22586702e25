"""Lesson 07 — payments with Chapa.

07.1 runs the learner's signature check on webhooks signed exactly as the sandbox signs them
(HMAC-SHA256 with the sandbox's webhook secret). 07.2 runs the learner's "may this confirm?" rule
on verify answers fetched over HTTP from the course's Chapa sandbox, for transactions the check
creates and pays there. 07.3 runs the learner's payment start against the sandbox, with a web
site of the check's own as the merchant's site, so Chapa's callback and redirect are real.

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
07.3 payment_start — the amount sent as a Decimal (requests can't make JSON of it); the amount in
     cents; Chapa called before the Payment is stored, or while it is uncommitted inside
     transaction.atomic() (seen from a second database connection at the moment the request
     leaves, through a wrapper around requests.Session.send); a tx_ref made from the booking (a
     second attempt is refused); no callback_url, or a relative one (the sandbox really calls
     it: the check serves site_url itself); no timeout; a return_url that doesn't name the
     attempt (the checkout form is submitted as a browser would, and the redirect read); a
     refusal (a revoked key: HTTP 401, data: null) crashing on data['checkout_url'] or leaving
     the attempt pending; an unreachable Chapa (a closed port) marking the attempt failed.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import json
import uuid
from decimal import Decimal

from nexus.exercises.checks.support import (
    closed_port,
    compare_digest_calls,
    describe,
    new_guest,
    new_pending_booking,
    require_constant_time,
    wait,
)
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


# --- 07.3 -----------------------------------------------------------------------------------------
LOOK_START = ('lesson 07, "2. Start a payment" and "Mistake 1", and payment_initiate in '
              "sample_project/payments/services.py")
DECLINED_CARD = "4111 1111 1111 1111"  # not a Chapa test card: the sandbox declines it


class _Site:
    """A web site of the check's own on loopback: it records every request Chapa sends it."""

    def __enter__(self) -> _Site:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _committed(tx_ref: str) -> bool:
    """Whether another database connection (another process, a webhook) sees this Payment."""
    import threading

    from django.db import connections

    from payments.models import Payment

    box: list[bool] = []

    def look() -> None:
        try:
            box.append(Payment.objects.filter(tx_ref=tx_ref).exists())
        finally:
            connections.close_all()

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    thread.join(10)
    return bool(box and box[0])


@contextlib.contextmanager
def _initialize_calls():
    """Each initialize request the learner's code sends through requests, as Chapa receives it.

    For each: the fields sent, the timeout given, Chapa's answer, and whether the Payment with
    that tx_ref existed at that moment — in the caller's transaction, and committed.
    """
    from urllib.parse import parse_qs

    import requests

    from payments.models import Payment

    calls: list[dict] = []
    original = requests.Session.send

    def send(self, request, **kwargs):
        if not request.url.endswith("/v1/transaction/initialize"):
            return original(self, request, **kwargs)
        raw = request.body or b""
        raw = raw.encode() if isinstance(raw, str) else raw
        try:
            fields = json.loads(raw)
        except ValueError:
            fields = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
        tx_ref = str(fields.get("tx_ref") or "")
        call = {"fields": fields, "timeout": kwargs.get("timeout"),
                "stored": Payment.objects.filter(tx_ref=tx_ref).exists(),
                "committed": _committed(tx_ref), "answer": None}
        calls.append(call)
        response = original(self, request, **kwargs)
        with contextlib.suppress(ValueError):
            call["answer"] = response.json()
        return response

    requests.Session.send = send
    try:
        yield calls
    finally:
        requests.Session.send = original


def _start(payment_start, booking, site: str, calls: list[dict], case: str):
    """Call the learner's function: (payment or None, exception or None, its initialize call)."""
    before = len(calls)
    try:
        payment, error = payment_start(booking, site), None
    except NotImplementedError:
        raise
    except Exception as exc:  # an answer to grade
        payment, error = None, exc
    call = calls[before] if len(calls) > before else None
    if call is None and error is None:
        raise Fail(expected=f"an initialize request to Chapa ({case})",
                   got="no POST to /v1/transaction/initialize went out through requests",
                   hint="POST the payment to {CHAPA_BASE_URL}/v1/transaction/initialize with "
                        "requests (the check watches requests' traffic).", look=LOOK_START)
    return payment, error, call


def _newest_attempt(booking):
    from payments.models import Payment

    return Payment.objects.filter(booking=booking).order_by("-id").first()


@exercise("07.3", "payment_start: a payment attempt, initialized with Chapa")
def check_payment_start(payment_start) -> None:
    from django.test import override_settings

    from nexus import sandbox as chapa
    from payments.models import Payment

    guest = new_guest("pay")
    booking = new_pending_booking(guest, nights=3)
    try:
        with _Site() as site, _initialize_calls() as calls:
            _first_attempt(payment_start, booking, site, calls)
            first = _newest_attempt(booking)
            # 2. The card is declined: Chapa calls the callback URL, with trx_ref.
            chapa.pay(first.tx_ref, card=DECLINED_CARD)
            _callback_arrived(site, first.tx_ref)
            # 3. The guest tries again: a new attempt, a new tx_ref, both kept.
            second, error, _ = _start(payment_start, booking, site.url, calls, "a second attempt")
            if error is not None:
                # Chapa's answer, or the unique tx_ref column's, to the same tx_ref twice.
                used = "used before" in str(error) or "tx_ref" in str(error)
                raise Fail(expected="a second attempt for the same booking, after a declined "
                                    "card, gets its own checkout",
                           got=f"{type(error).__name__}: {error}"[:200],
                           hint="a tx_ref made from the booking is the same on the second "
                                "attempt, and Chapa refuses a tx_ref it has seen (so does the "
                                "Payment table's unique column): make a fresh, random tx_ref "
                                "for every attempt (secrets.token_hex), never one made from the "
                                "booking." if used else
                                "read the error: the first attempt worked.", look=LOOK_START)
            attempts = list(Payment.objects.filter(booking=booking).order_by("id"))
            if len(attempts) != 2 or len({p.tx_ref for p in attempts}) != 2:
                raise Fail(expected="two Payment rows, one per attempt, with different tx_refs",
                           got=f"{[(p.tx_ref, p.status) for p in attempts]}"[:200],
                           hint="each attempt is a new Payment with a fresh tx_ref: the "
                                "declined one stays on record.", look=LOOK_START)
            # 4. Paid on the checkout page, as a browser does: redirected to the return page.
            _return_page(second, site.url)
            # 5. Chapa refuses the call (a revoked key): the attempt is failed, and says why.
            with override_settings(CHAPA_SECRET_KEY="CHASECK_TEST-revokedKeyOfTheCheck0000"):
                _, error, _ = _start(payment_start, booking, site.url, calls, "a revoked key")
            _refused(_newest_attempt(booking), error)
            # 6. Chapa can't be reached: the attempt stays pending (reconciliation asks later).
            with override_settings(CHAPA_BASE_URL=f"http://127.0.0.1:{closed_port()}"):
                before = Payment.objects.filter(booking=booking).count()
                _, error, _ = _start(payment_start, booking, site.url, calls, "Chapa down")
            _unreachable(booking, before, error)
    finally:
        Payment.objects.filter(booking=booking).delete()
        booking.delete()
        guest.delete()


def _first_attempt(payment_start, booking, site, calls: list[dict]) -> None:
    """The first call: the Payment committed first, Chapa asked right, its answer kept."""
    from payments.models import Payment

    payment, error, call = _start(payment_start, booking, site.url, calls, "a first attempt")
    if isinstance(error, TypeError) and "JSON serializable" in str(error):
        raise Fail(expected="the initialize request goes out", got=describe(error),
                   hint="JSON has no Decimal: send the amount as a string (str(amount), e.g. "
                        "\"3800.00\"), as Chapa's own examples do.", look=LOOK_START)
    if error is not None and "used before" in str(error):
        raise Fail(expected="Chapa accepts the first attempt", got=describe(error),
                   hint="Chapa refuses a tx_ref it has seen — by this course's earlier runs "
                        "too, whose bookings had the same ids: make a fresh, random tx_ref for "
                        "every attempt (secrets.token_hex), never one made from the booking.",
                   look=LOOK_START)
    if error is not None:
        raise Fail(expected="a started payment", got=describe(error),
                   hint="read the error; Chapa's answer is in the exception or its response.",
                   look=LOOK_START)
    fields = call["fields"]
    if not call["stored"]:
        raise Fail(expected="the Payment is stored before Chapa hears of it",
                   got="no Payment with that tx_ref existed when initialize was sent",
                   hint="store the Payment first: Chapa's callback or webhook can arrive before "
                        "initialize even returns, and must find the row.", look=LOOK_START)
    if not call["committed"]:
        raise Fail(expected="the Payment is committed before Chapa hears of it",
                   got="it existed only inside your open transaction when initialize was sent",
                   hint="inside transaction.atomic() the row isn't committed yet: the webhook, "
                        "handled by another process, won't see it. Create it outside any "
                        "transaction (each save commits).", look=LOOK_START)
    if call["timeout"] is None:
        raise Fail(expected="a timeout on the call to Chapa", got="timeout=None (wait for ever)",
                   hint="without a timeout, a Chapa that accepts the connection and never "
                        "answers holds this web worker for ever: pass timeout= to requests.",
                   look=LOOK_START)
    if not isinstance(payment, Payment) or payment.pk is None:
        raise Fail(expected="the Payment of this attempt, saved", got=repr(payment)[:200],
                   hint="return the Payment you stored.", look=LOOK_START)
    payment.refresh_from_db()
    sent = str(fields.get("amount"))
    total = booking.total_price
    try:
        amount = Decimal(sent)
    except ArithmeticError:
        amount = None
    if amount == total * 100:
        raise Fail(expected=f"Chapa is asked for {total} ETB", got=f"amount {sent!r}",
                   hint="Chapa's amount is in birr, like \"3800.00\" — not in cents (santim), "
                        "as Stripe and Paystack want it.", look=LOOK_START)
    if amount != total or fields.get("currency") != "ETB":
        raise Fail(expected=f"amount {total}, currency ETB (the booking's price)",
                   got=f"amount {sent!r}, currency {fields.get('currency')!r}",
                   hint="the amount comes from the booking (total_price), never from the "
                        "client; the currency is ETB.", look=LOOK_START)
    if (payment.tx_ref, payment.amount, payment.currency, payment.status) != \
            (fields.get("tx_ref"), total, "ETB", "pending"):
        raise Fail(expected="the stored Payment: the tx_ref sent, the booking's amount, ETB, "
                            "pending", got=str(payment),
                   hint="store what you send Chapa: the tx_ref, the amount and the currency.",
                   look=LOOK_START)
    checkout = ((call["answer"] or {}).get("data") or {}).get("checkout_url")
    if payment.checkout_url != checkout:
        raise Fail(expected="the Payment keeps Chapa's checkout_url",
                   got=f"checkout_url {payment.checkout_url!r}"[:200],
                   hint="store data.checkout_url on the payment: it is where the guest is "
                        "sent (and sent back, if they come back later).", look=LOOK_START)


def _callback_arrived(site: _Site, tx_ref: str) -> None:
    from nexus import sandbox as chapa

    path = "/api/payments/callback/"
    if wait(lambda: any(r.startswith(path) and tx_ref in r for r in site.requests), 5):
        return
    sent = [d for d in chapa.deliveries(tx_ref) if d["kind"] == "callback"]
    if not sent:
        raise Fail(expected=f"Chapa calls {site.url}{path}?trx_ref=… after the payer acts",
                   got="Chapa had no callback URL for this transaction",
                   hint="give Chapa a callback_url (the site's /api/payments/callback/): the "
                        "callback is how you learn of a payment when the guest never comes "
                        "back to the site.", look=LOOK_START)
    url = sent[0]["url"].split("?")[0]
    raise Fail(expected=f"Chapa calls {site.url}{path}", got=f"it called {url!r}"[:200],
               hint="Chapa calls the callback from its own servers: give it the absolute URL, "
                    "site_url followed by /api/payments/callback/.", look=LOOK_START)


def _return_page(payment, site: str) -> None:
    """Pay on the checkout page as a browser does; Chapa redirects to the return URL."""
    import requests

    from nexus.standins.chapa import config

    answer = requests.post(payment.checkout_url, allow_redirects=False, timeout=10,
                           data={"method": "card", "card_number": "4200000000000000",
                                 "expiry": config.TEST_CARD_EXPIRY, "cvv": "123"})
    want = f"{site}/payments/return/{payment.tx_ref}/"
    got = answer.headers.get("Location") if answer.status_code in (302, 303) else None
    if got != want:
        raise Fail(expected=f"after paying, the browser is sent to {want}",
                   got=f"HTTP {answer.status_code}, Location {got!r}",
                   hint="give Chapa a return_url that names this attempt, "
                        "site_url + /payments/return/<tx_ref>/: the return page verifies that "
                        "payment (the redirect itself proves nothing).", look=LOOK_START)


def _refused(attempt, error) -> None:
    if error is None:
        raise Fail(expected="an error when Chapa refuses the request (here: a revoked key)",
                   got="your function returned as if the payment had started",
                   hint="check Chapa's answer: a 4xx with status \"failed\" and data: null is a "
                        "refusal, not a checkout.", look=LOOK_START)
    if attempt is None or attempt.status != "failed" or "Invalid API Key" not in \
            attempt.failure_reason:
        crashed = isinstance(error, TypeError | KeyError | AttributeError)
        state = "no Payment" if attempt is None else \
            f"the attempt is {attempt.status}, failure_reason {attempt.failure_reason!r}"
        raise Fail(expected="the refused attempt is marked failed, with Chapa's message",
                   got=f"{describe(error)}; {state}"[:200],
                   hint="Chapa's refusals answer 4xx with data: null, so reading "
                        "data['checkout_url'] crashes: look at the status code first."
                        if crashed else
                        "mark the attempt failed, with Chapa's message as its failure_reason: "
                        "it will never be paid, and support must see why.", look=LOOK_START)


def _unreachable(booking, before: int, error) -> None:
    from payments.models import Payment

    attempt = _newest_attempt(booking)
    if Payment.objects.filter(booking=booking).count() != before + 1:
        raise Fail(expected="a pending Payment for the attempt made while Chapa was down",
                   got="none was stored", hint="store the Payment before calling Chapa.",
                   look=LOOK_START)
    if attempt.status != "pending":
        raise Fail(expected="the attempt made while Chapa was unreachable stays pending",
                   got=f"it is {attempt.status}: {attempt.failure_reason!r}"[:200],
                   hint="an error on the way to Chapa doesn't say whether Chapa got the request "
                        "(a timeout may come after it did): leave the attempt pending, and let "
                        "reconciliation ask Chapa later.", look=LOOK_START)
    if error is None:
        raise Fail(expected="an error when Chapa can't be reached",
                   got="your function returned normally",
                   hint="let the caller know (the API answers 503): raise, don't return a "
                        "payment without a checkout.", look=LOOK_START)
