"""The sandbox HTTP server: Chapa's v1 API in test mode, a hosted checkout page, and webhooks.

Run by the ``chapa`` service (``nexus up``) as
``python -m nexus.standins.chapa --port P --state-dir .nexus/chapa``. Besides Chapa's own endpoints
it has a few under ``/_sandbox/`` for the course: settings (webhook URL, retry interval), paying
or cancelling without a browser, replaying a delivered webhook, and listing delivery attempts.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nexus.standins.chapa import config
from nexus.standins.chapa.store import Store, now_iso

REQUIRED = ("amount", "currency", "tx_ref")
CURRENCIES = ("ETB", "USD")
PHONE = re.compile(r"0[79]\d{8}")


class ApiError(Exception):
    """An error answered in Chapa's envelope."""

    def __init__(self, status: int, message: Any, envelope_status: str | None = "failed") -> None:
        super().__init__(str(message))
        self.status, self.message, self.envelope_status = status, message, envelope_status


# --- request bodies --------------------------------------------------------------------------
def unflatten(flat: dict[str, str]) -> dict[str, Any]:
    """``{"customization[title]": "x"}`` → ``{"customization": {"title": "x"}}``."""
    result: dict[str, Any] = {}
    for key, value in flat.items():
        match = re.fullmatch(r"([^\[\]]+)\[([^\[\]]*)\]", key)
        if match:
            result.setdefault(match.group(1), {})
            if isinstance(result[match.group(1)], dict):
                result[match.group(1)][match.group(2)] = value
        else:
            result[key] = value
    return result


def parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """JSON or form-encoded, nested objects nested or as bracket keys: all three as one dict."""
    if "application/x-www-form-urlencoded" in content_type:
        pairs = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return unflatten(dict(pairs))
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Invalid JSON payload")
    flat = {k: v for k, v in data.items() if "[" in k}
    nested = {k: v for k, v in data.items() if "[" not in k}
    for key, value in unflatten(flat).items():
        if isinstance(value, dict) and isinstance(nested.get(key), dict):
            nested[key] = nested[key] | value
        else:
            nested.setdefault(key, value)
    return nested


def number(amount: Decimal) -> int | float:
    """Amounts as verify shows them: numbers (100, 100.5)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


class Sandbox:
    """The sandbox's behaviour, independent of HTTP plumbing."""

    def __init__(self, state_dir: Path, base_url: str, retry_interval: float) -> None:
        self.store = Store(state_dir / "sandbox.sqlite3")
        self.base_url = base_url
        if self.store.setting("retry_interval") is None:
            self.store.set_setting("retry_interval", retry_interval)

    # --- auth ------------------------------------------------------------------------------
    def mode_of(self, authorization: str | None) -> str:
        if not authorization:
            raise ApiError(401, "Authorization required")
        key = authorization.removeprefix("Bearer ").strip()
        if key not in config.KEYS:
            raise ApiError(401, "Invalid API Key or User doesn't exist")
        return config.KEYS[key]

    # --- initialize ------------------------------------------------------------------------
    def initialize(self, mode: str, body: dict[str, Any]) -> dict[str, Any]:
        missing = {f: [f"The {f} field is required."] for f in REQUIRED
                   if body.get(f) in (None, "")}
        if missing:
            raise ApiError(400, missing)
        try:
            amount = Decimal(str(body["amount"]).strip())
        except InvalidOperation:
            raise ApiError(400, {"amount": ["The amount must be a number."]}) from None
        if not amount.is_finite() or amount <= 0:
            raise ApiError(400, {"amount": ["The amount must be greater than 0."]})
        currency = str(body["currency"]).strip()
        if currency not in CURRENCIES:
            raise ApiError(400, f"Invalid currency, {currency} is not supported")
        phone = body.get("phone_number")
        if phone not in (None, "") and not PHONE.fullmatch(str(phone)):
            raise ApiError(400, {"phone_number": [
                "The phone number must be 10 digits starting with 09 or 07."]})
        customization = body.get("customization") or {}
        if not isinstance(customization, dict):
            customization = {}
        tx_ref = str(body["tx_ref"])
        token = secrets.token_urlsafe(18)
        reference = "AP" + secrets.token_hex(5)
        stamp = now_iso()
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM transactions WHERE tx_ref = ?", [tx_ref]).fetchone():
                raise ApiError(400, "Transaction reference has been used before")
            conn.execute(
                "INSERT INTO transactions (tx_ref, token, reference, mode, amount, currency, "
                "email, first_name, last_name, phone_number, callback_url, return_url, "
                "customization, meta, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [tx_ref, token, reference, mode, str(amount), currency, body.get("email"),
                 body.get("first_name"), body.get("last_name"), phone or None,
                 body.get("callback_url"), body.get("return_url"),
                 json.dumps({k: customization.get(k) for k in ("title", "description", "logo")}),
                 json.dumps(body.get("meta")) if body.get("meta") is not None else None,
                 stamp, stamp],
            )
        return {"checkout_url": f"{self.base_url}/checkout/payment/{token}"}

    # --- verify ----------------------------------------------------------------------------
    def verify(self, mode: str, tx_ref: str) -> dict[str, Any]:
        row = self.store.transaction_by("tx_ref", tx_ref)
        if row is None:
            raise ApiError(404, "Invalid transaction or Transaction not found")
        if row["mode"] != mode:
            raise ApiError(401, f"{mode.title()} secret keys can't be used to verify a "
                           f"{row['mode']} transaction")
        if row["status"] == "pending":
            raise ApiError(404, "Payment not paid yet", envelope_status=None)
        amount = Decimal(row["amount"])
        return {
            "first_name": row["first_name"], "last_name": row["last_name"],
            "email": row["email"], "currency": row["currency"], "amount": number(amount),
            "charge": number((amount * Decimal(str(config.CHARGE_RATE))).quantize(Decimal("0.01"))),
            "mode": row["mode"], "method": row["method"] or "test", "type": "API",
            "status": row["status"], "reference": row["reference"], "tx_ref": row["tx_ref"],
            "customization": json.loads(row["customization"]),
            "meta": json.loads(row["meta"]) if row["meta"] else None,
            "created_at": row["created_at"], "updated_at": row["updated_at"],
        }

    # --- paying ------------------------------------------------------------------------------
    @staticmethod
    def judge(form: dict[str, str]) -> tuple[str, str, str | None]:
        """(status, payment_method, mobile) for a checkout form: test instruments succeed."""
        if form.get("action") == "cancel":
            return "cancelled", "test", None
        if form.get("method") == "mobile":
            number_ = re.sub(r"\D", "", form.get("phone", ""))
            ok = number_ in config.TEST_MOBILE_NUMBERS and form.get("otp") == config.TEST_OTP
            return ("success" if ok else "failed",
                    config.TEST_MOBILE_NUMBERS.get(number_, "telebirr"), number_ or None)
        card = re.sub(r"\D", "", form.get("card_number", ""))
        spec = config.TEST_CARDS.get(card)
        ok = (spec is not None and form.get("expiry", "").strip() == config.TEST_CARD_EXPIRY
              and (spec["cvv"] is None or form.get("cvv", "").strip() == spec["cvv"]))
        return ("success" if ok else "failed", "card", None)

    def settle(self, token: str, form: dict[str, str]) -> dict[str, Any]:
        """Apply the payer's action once; queue the callback and the webhook."""
        row = self.store.transaction_by("token", token)
        if row is None:
            raise ApiError(404, "Invalid transaction or Transaction not found")
        if row["status"] != "pending":
            return dict(row)  # a second submit changes nothing
        if row["mode"] == "live" and form.get("action") != "cancel":
            raise ApiError(400, "Live transactions can't be paid in the sandbox")
        status, method, mobile = self.judge(form)
        stamp = now_iso()
        with self.store.transaction() as conn:
            conn.execute("UPDATE transactions SET status = ?, method = ?, mobile = ?, "
                         "updated_at = ? WHERE token = ? AND status = 'pending'",
                         [status, method, mobile, stamp, token])
        row = self.store.transaction_by("token", token)
        assert row is not None
        self._queue_notifications(row)
        return dict(row)

    def webhook_body(self, row) -> bytes:
        """The flat JSON Chapa posts; serialised once, compact — these exact bytes are signed."""
        amount = Decimal(row["amount"])
        event = {"success": "charge.success", "failed": "charge.failed",
                 "cancelled": "charge.cancelled"}[row["status"]]
        body = {
            "event": event, "first_name": row["first_name"] or "",
            "last_name": row["last_name"] or "", "email": row["email"], "mobile": row["mobile"],
            "currency": row["currency"], "amount": f"{amount:.2f}",
            "charge": f"{amount * Decimal(str(config.CHARGE_RATE)):.2f}",
            "status": row["status"], "mode": row["mode"], "reference": row["reference"],
            "created_at": row["created_at"], "updated_at": row["updated_at"], "type": "API",
            "tx_ref": row["tx_ref"], "payment_method": row["method"],
            "customization": json.loads(row["customization"]),
            "meta": json.loads(row["meta"]) if row["meta"] else None,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def _queue_notifications(self, row) -> None:
        stamp, now = now_iso(), time.time()
        with self.store.transaction() as conn:
            if row["callback_url"]:
                query = urllib.parse.urlencode({"trx_ref": row["tx_ref"],
                                                "ref_id": row["reference"],
                                                "status": row["status"]})
                separator = "&" if "?" in row["callback_url"] else "?"
                conn.execute("INSERT INTO deliveries (tx_ref, kind, url, next_attempt_at, "
                             "created_at) VALUES (?, 'callback', ?, ?, ?)",
                             [row["tx_ref"], row["callback_url"] + separator + query, now, stamp])
            webhook_url = self.store.setting("webhook_url")
            if webhook_url:
                body = self.webhook_body(row)
                conn.execute("INSERT INTO deliveries (tx_ref, kind, event, url, body, "
                             "next_attempt_at, created_at) VALUES (?, 'webhook', ?, ?, ?, ?, ?)",
                             [row["tx_ref"], json.loads(body)["event"], webhook_url,
                              body.decode(), now, stamp])

    def replay(self, tx_ref: str) -> dict[str, Any]:
        """Send the last webhook of ``tx_ref`` again, as Chapa's dashboard 'resend' does."""
        rows = self.store.query("SELECT * FROM deliveries WHERE tx_ref = ? AND kind = 'webhook' "
                                "ORDER BY id DESC LIMIT 1", [tx_ref])
        if not rows:
            raise ApiError(404, "No webhook was sent for this transaction")
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO deliveries (tx_ref, kind, event, url, body, next_attempt_at, "
                "created_at) VALUES (?, 'webhook', ?, ?, ?, ?, ?)",
                [tx_ref, rows[0]["event"], self.store.setting("webhook_url") or rows[0]["url"],
                 rows[0]["body"], time.time(), now_iso()])
        return {"delivery": cursor.lastrowid}

    def deliveries(self, tx_ref: str | None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deliveries" + (" WHERE tx_ref = ?" if tx_ref else "") + " ORDER BY id"
        result = []
        for row in self.store.query(sql, [tx_ref] if tx_ref else []):
            attempts = self.store.query("SELECT at, status, error FROM attempts WHERE "
                                        "delivery_id = ? ORDER BY id", [row["id"]])
            result.append({
                "id": row["id"], "tx_ref": row["tx_ref"], "kind": row["kind"],
                "event": row["event"], "url": row["url"], "delivered": bool(row["delivered"]),
                "attempts": [dict(a) for a in attempts],
            })
        return result

    # --- delivery loop -------------------------------------------------------------------------
    def signatures(self, body: bytes) -> dict[str, str]:
        secret = config.WEBHOOK_SECRET.encode()
        return {
            "x-chapa-signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
            "Chapa-Signature": hmac.new(secret, secret, hashlib.sha256).hexdigest(),
        }

    def deliver_due(self) -> None:
        due = self.store.query("SELECT * FROM deliveries WHERE delivered = 0 AND attempts < ? "
                               "AND next_attempt_at <= ? ORDER BY id",
                               [config.WEBHOOK_ATTEMPTS, time.time()])
        for row in due:
            status, error = None, None
            try:
                if row["kind"] == "webhook":
                    body = row["body"].encode()
                    request = urllib.request.Request(
                        row["url"], data=body, method="POST",
                        headers={"Content-Type": "application/json", **self.signatures(body)})
                else:
                    request = urllib.request.Request(row["url"], method="GET")
                with urllib.request.urlopen(request, timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except (urllib.error.URLError, OSError) as exc:
                error = str(getattr(exc, "reason", exc))
            delivered = status == 200
            # Chapa calls the callback once; only webhooks are retried until answered with 200.
            give_up = row["kind"] == "callback"
            interval = float(self.store.setting("retry_interval", config.DEFAULT_RETRY_INTERVAL))
            with self.store.transaction() as conn:
                conn.execute("INSERT INTO attempts (delivery_id, at, status, error) "
                             "VALUES (?, ?, ?, ?)", [row["id"], now_iso(), status, error])
                conn.execute(
                    "UPDATE deliveries SET attempts = attempts + 1, last_status = ?, "
                    "last_error = ?, delivered = ?, next_attempt_at = ? WHERE id = ?",
                    [status, error, int(delivered),
                     float("inf") if give_up and not delivered else time.time() + interval,
                     row["id"]])

    def run_deliveries(self, stop: threading.Event) -> None:
        while not stop.wait(0.2):
            try:
                self.deliver_due()
            except Exception as exc:  # keep delivering whatever one bad row does
                print(f"delivery loop error: {exc!r}", flush=True)


# --- the checkout page ---------------------------------------------------------------------
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chapa sandbox checkout</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;background:#f4f6f4;margin:0;padding:2em}}
main{{max-width:30em;margin:auto;background:#fff;border-radius:12px;padding:1.5em 2em;
box-shadow:0 2px 12px #0002}}
h1{{font-size:1.2em;margin:0}} .amount{{font-size:2em;font-weight:700;margin:.4em 0;color:#7dc400}}
.badge{{background:#ffe8a3;border-radius:6px;padding:.1em .5em;font-size:.8em}}
fieldset{{border:1px solid #ddd;border-radius:8px;margin:1em 0}}
label{{display:block;margin:.4em 0}}
input{{width:100%;padding:.4em;box-sizing:border-box}} button{{padding:.6em 1.2em;margin-top:.6em}}
.pay{{background:#7dc400;color:#fff;border:0;border-radius:6px}} small{{color:#666}}
</style></head><body><main>
<p><span class="badge">TEST MODE</span> Chapa sandbox · Nexus Workbook</p>
{logo}<h1 id="title">{title}</h1><p id="description">{description}</p>
<div class="amount" id="amount">{amount} {currency}</div>
{body}
</main></body></html>
"""

FORMS = """
<form method="post" id="card-form"><fieldset><legend>Pay with card</legend>
<input type="hidden" name="method" value="card">
<label>Card number <input name="card_number" id="card_number" autocomplete="off"></label>
<label>Expiry (MM/YY) <input name="expiry" id="expiry"></label>
<label>CVV <input name="cvv" id="cvv"></label>
<button class="pay" type="submit" id="pay-card">Pay {amount} {currency}</button>
<small>Test cards: Visa 4200 0000 0000 0000 (CVV 123), Amex 3700 0000 0000 0000 (CVV 1234),
Mastercard 5400 0000 0000 0000; expiry 12/34.</small></fieldset></form>
<form method="post" id="mobile-form"><fieldset><legend>Pay with mobile money</legend>
<input type="hidden" name="method" value="mobile">
<label>Phone number <input name="phone" id="phone"></label>
<label>OTP <input name="otp" id="otp"></label>
<button class="pay" type="submit" id="pay-mobile">Pay {amount} {currency}</button>
<small>Test numbers: 0900123456, 0900112233, 0900881111; OTP 12345.</small></fieldset></form>
<form method="post" id="cancel-form"><input type="hidden" name="action" value="cancel">
<button type="submit" id="cancel">Cancel payment</button></form>
"""


def checkout_page(row, result: str | None = None) -> str:
    """The hosted checkout page for a transaction (or its outcome)."""
    customization = json.loads(row["customization"])
    escape = html.escape
    amount = f"{Decimal(row['amount']):,.2f}"
    logo = (f'<img src="{escape(customization["logo"])}" alt="" height="48">'
            if customization.get("logo") else "")
    if row["status"] == "pending" and result is None:
        body = FORMS.format(amount=amount, currency=escape(row["currency"]))
    else:
        status = row["status"]
        message = {"success": "Payment successful", "failed": "Payment failed",
                   "cancelled": "Payment cancelled"}[status]
        back = (f'<p><a id="return" href="{escape(row["return_url"])}">Return to the merchant</a>'
                "</p>" if row["return_url"] else "")
        body = f'<p id="result" data-status="{status}"><strong>{message}</strong></p>{back}'
    return PAGE.format(
        logo=logo, title=escape(customization.get("title") or "Payment"),
        description=escape(customization.get("description") or ""), amount=amount,
        currency=escape(row["currency"]), body=body,
    )


# --- HTTP plumbing -----------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """Routes requests to the :class:`Sandbox`."""

    sandbox: Sandbox
    server_version = "ChapaSandbox/1.0"

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _html(self, status: int, page: str) -> None:
        data = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        path = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(path.query))
        try:
            self._route(method, path.path.rstrip("/") or "/", query)
        except ApiError as error:
            self._json(error.status, {"message": error.message, "status": error.envelope_status,
                                      "data": None})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _route(self, method: str, path: str, query: dict[str, str]) -> None:
        sandbox = self.sandbox
        content_type = self.headers.get("Content-Type", "")
        if method == "POST" and path == "/v1/transaction/initialize":
            mode = sandbox.mode_of(self.headers.get("Authorization"))
            data = sandbox.initialize(mode, parse_body(content_type, self._body()))
            return self._json(200, {"message": "Hosted Link", "status": "success", "data": data})
        if method == "GET" and path.startswith("/v1/transaction/verify/"):
            mode = sandbox.mode_of(self.headers.get("Authorization"))
            tx_ref = urllib.parse.unquote(path.removeprefix("/v1/transaction/verify/"))
            data = sandbox.verify(mode, tx_ref)
            return self._json(200, {"message": "Payment details", "status": "success",
                                    "data": data})
        if method == "GET" and path == "/v1/banks":
            sandbox.mode_of(self.headers.get("Authorization"))
            banks = [{"id": 1, "name": "Commercial Bank of Ethiopia (CBE)", "currency": "ETB"},
                     {"id": 2, "name": "Awash Bank", "currency": "ETB"},
                     {"id": 3, "name": "telebirr", "currency": "ETB"}]
            return self._json(200, {"message": "Banks retrieved", "status": "success",
                                    "data": banks})
        if path.startswith("/checkout/payment/"):
            token = path.removeprefix("/checkout/payment/")
            row = sandbox.store.transaction_by("token", token)
            if row is None:
                return self._html(404, "<h1>Unknown or expired checkout link</h1>")
            if method == "GET":
                return self._html(200, checkout_page(row))
            form = parse_body("application/x-www-form-urlencoded", self._body())
            settled = sandbox.settle(token, {k: str(v) for k, v in form.items()})
            row = sandbox.store.transaction_by("token", token)
            if settled.get("return_url"):
                self.send_response(HTTPStatus.SEE_OTHER)
                self.send_header("Location", settled["return_url"])
                self.send_header("Content-Length", "0")
                return self.end_headers()
            return self._html(200, checkout_page(row, result=row["status"]))
        if path.startswith("/_sandbox/"):
            return self._sandbox_route(method, path.removeprefix("/_sandbox"), query)
        raise ApiError(404, "Not found")

    def _sandbox_route(self, method: str, path: str, query: dict[str, str]) -> None:
        sandbox = self.sandbox
        if path == "/health":
            return self._json(200, {"status": "ok"})
        if path == "/settings":
            if method == "POST":
                body = parse_body(self.headers.get("Content-Type", ""), self._body())
                for key in ("webhook_url", "retry_interval"):
                    if key in body:
                        sandbox.store.set_setting(key, body[key])
            return self._json(200, {
                "webhook_url": sandbox.store.setting("webhook_url"),
                "retry_interval": sandbox.store.setting("retry_interval"),
            })
        match = re.fullmatch(r"/transactions/([^/]+)/(pay|replay)", path)
        if match and method == "POST":
            tx_ref = urllib.parse.unquote(match.group(1))
            row = sandbox.store.transaction_by("tx_ref", tx_ref)
            if row is None:
                raise ApiError(404, "Invalid transaction or Transaction not found")
            if match.group(2) == "replay":
                return self._json(200, sandbox.replay(tx_ref))
            form = parse_body(self.headers.get("Content-Type", ""), self._body())
            settled = sandbox.settle(row["token"], {k: str(v) for k, v in form.items()})
            return self._json(200, {"tx_ref": tx_ref, "status": settled["status"]})
        if path == "/deliveries" and method == "GET":
            return self._json(200, sandbox.deliveries(query.get("tx_ref")))
        raise ApiError(404, "Not found")


def main() -> None:
    """Serve until killed; deliveries run in a background thread."""
    parser = argparse.ArgumentParser(description="Chapa v1 API sandbox (test mode)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--retry-interval", type=float, default=config.DEFAULT_RETRY_INTERVAL)
    args = parser.parse_args()
    Handler.sandbox = Sandbox(args.state_dir, f"http://{args.host}:{args.port}",
                              args.retry_interval)
    stop = threading.Event()
    threading.Thread(target=Handler.sandbox.run_deliveries, args=(stop,), daemon=True).start()
    # The default listen backlog (5) drops bursts of new connections, which clients then retry
    # a second later: an async client making 20 calls at once would see 1 s stalls.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
