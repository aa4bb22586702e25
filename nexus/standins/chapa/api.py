"""The gateway's rules: what Chapa accepts, refuses and answers, apart from HTTP plumbing.

:class:`Gateway` validates ``initialize``, answers ``verify``, judges what the payer entered on the
checkout page against Chapa's test instruments, and decides which callback and webhook a settled
payment owes (sent by :mod:`.deliveries`). Refusals are :class:`ApiError`, which the HTTP layer
(:mod:`.server`) answers in Chapa's envelope. The facts come from ``shared/CHAPA_CONTRACT.md``.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import urllib.parse
from decimal import Decimal, InvalidOperation
from typing import Any

from nexus.standins.chapa import config
from nexus.standins.chapa.store import NEVER, Store, now_iso

REQUIRED = ("amount", "currency", "tx_ref")
CURRENCIES = ("ETB", "USD")
PHONE = re.compile(r"0[79]\d{8}")
EVENTS = {"success": "charge.success", "failed": "charge.failed",
          "cancelled": "charge.cancelled"}
#: ``GET /v1/banks``: a few of Chapa's, enough for a client to list.
BANKS = [{"id": 1, "name": "Commercial Bank of Ethiopia (CBE)", "currency": "ETB"},
         {"id": 2, "name": "Awash Bank", "currency": "ETB"},
         {"id": 3, "name": "telebirr", "currency": "ETB"}]
#: The merchant settings the course may change through ``/_sandbox/settings``.
SETTINGS = ("webhook_url", "retry_interval")


class ApiError(Exception):
    """A refusal, answered in Chapa's envelope with ``status`` as the HTTP status."""

    def __init__(self, status: int, message: Any, envelope_status: str | None = "failed") -> None:
        super().__init__(str(message))
        self.status, self.message, self.envelope_status = status, message, envelope_status

    def envelope(self) -> dict[str, Any]:
        """The JSON body Chapa sends with an error."""
        return {"message": self.message, "status": self.envelope_status, "data": None}


def success(message: str, data: Any) -> dict[str, Any]:
    """The JSON body of a successful API call."""
    return {"message": message, "status": "success", "data": data}


def number(amount: Decimal) -> int | float:
    """Amounts as verify shows them: numbers (100, 100.5)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def charge(amount: Decimal) -> Decimal:
    """Chapa's test-mode fee on ``amount``."""
    return amount * Decimal(str(config.CHARGE_RATE))


class Gateway:
    """The sandbox merchant's account at Chapa: its transactions, settings and notifications."""

    def __init__(self, store: Store, base_url: str, retry_interval: float) -> None:
        self.store = store
        self.base_url = base_url
        if store.setting("retry_interval") is None:
            store.set_setting("retry_interval", retry_interval)

    # --- keys ----------------------------------------------------------------------------------
    @staticmethod
    def mode_of(authorization: str | None) -> str:
        """``test`` or ``live``, from the ``Authorization: Bearer <secret key>`` header."""
        if not authorization:
            raise ApiError(401, "Authorization required")
        key = authorization.removeprefix("Bearer ").strip()
        if key not in config.KEYS:
            raise ApiError(401, "Invalid API Key or User doesn't exist")
        return config.KEYS[key]

    # --- POST /v1/transaction/initialize -------------------------------------------------------
    def initialize(self, mode: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate and store a new transaction; returns its hosted checkout link."""
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
        token, stamp = secrets.token_urlsafe(18), now_iso()
        added = self.store.add_transaction({
            "tx_ref": str(body["tx_ref"]), "token": token,
            "reference": "AP" + secrets.token_hex(5), "mode": mode, "amount": str(amount),
            "currency": currency, "email": body.get("email"),
            "first_name": body.get("first_name"), "last_name": body.get("last_name"),
            "phone_number": phone or None, "callback_url": body.get("callback_url"),
            "return_url": body.get("return_url"),
            "customization": json.dumps({k: customization.get(k)
                                         for k in ("title", "description", "logo")}),
            "meta": json.dumps(body.get("meta")) if body.get("meta") is not None else None,
            "created_at": stamp, "updated_at": stamp,
        })
        if not added:
            raise ApiError(400, "Transaction reference has been used before")
        return {"checkout_url": f"{self.base_url}/checkout/payment/{token}"}

    # --- GET /v1/transaction/verify/<tx_ref> ---------------------------------------------------
    def verify(self, mode: str, tx_ref: str) -> dict[str, Any]:
        """The ``data`` of a verify answer; a pending transaction is "not paid yet" (404)."""
        row = self._transaction(tx_ref)
        if row["mode"] != mode:
            raise ApiError(401, f"{mode.title()} secret keys can't be used to verify a "
                           f"{row['mode']} transaction")
        if row["status"] == "pending":
            raise ApiError(404, "Payment not paid yet", envelope_status=None)
        amount = Decimal(row["amount"])
        return {
            "first_name": row["first_name"], "last_name": row["last_name"],
            "email": row["email"], "currency": row["currency"], "amount": number(amount),
            "charge": number(charge(amount).quantize(Decimal("0.01"))),
            "mode": row["mode"], "method": row["method"] or "test", "type": "API",
            "status": row["status"], "reference": row["reference"], "tx_ref": row["tx_ref"],
            "customization": json.loads(row["customization"]),
            "meta": json.loads(row["meta"]) if row["meta"] else None,
            "created_at": row["created_at"], "updated_at": row["updated_at"],
        }

    def _transaction(self, tx_ref: str) -> sqlite3.Row:
        row = self.store.transaction_by("tx_ref", tx_ref)
        if row is None:
            raise ApiError(404, "Invalid transaction or Transaction not found")
        return row

    # --- the payer, on the checkout page ---------------------------------------------------------
    def checkout(self, token: str) -> sqlite3.Row | None:
        """The transaction a checkout link shows, if the link is one of ours."""
        return self.store.transaction_by("token", token)

    @staticmethod
    def judge(form: dict[str, str]) -> tuple[str, str, str | None]:
        """(status, payment_method, mobile) for a checkout form: test instruments succeed."""
        if form.get("action") == "cancel":
            return "cancelled", "test", None
        if form.get("method") == "mobile":
            digits = re.sub(r"\D", "", form.get("phone", ""))
            ok = digits in config.TEST_MOBILE_NUMBERS and form.get("otp") == config.TEST_OTP
            return ("success" if ok else "failed",
                    config.TEST_MOBILE_NUMBERS.get(digits, "telebirr"), digits or None)
        card = re.sub(r"\D", "", form.get("card_number", ""))
        spec = config.TEST_CARDS.get(card)
        ok = (spec is not None and form.get("expiry", "").strip() == config.TEST_CARD_EXPIRY
              and (spec["cvv"] is None or form.get("cvv", "").strip() == spec["cvv"]))
        return ("success" if ok else "failed", "card", None)

    def settle(self, token: str, form: dict[str, str]) -> sqlite3.Row:
        """Apply the payer's action once and queue its callback and webhook; returns the row."""
        row = self.checkout(token)
        if row is None:
            raise ApiError(404, "Invalid transaction or Transaction not found")
        if row["status"] != "pending":
            return row  # a second submit changes nothing
        if row["mode"] == "live" and form.get("action") != "cancel":
            raise ApiError(400, "Live transactions can't be paid in the sandbox")
        status, method, mobile = self.judge(form)
        # Two submits at once both get here; only the one that settles it notifies the merchant.
        settled = self.store.settle_transaction(token, status=status, method=method,
                                                mobile=mobile, updated_at=now_iso())
        row = self.checkout(token)
        assert row is not None
        if settled:
            self.store.add_deliveries(self._notifications(row))
        return row

    def pay(self, tx_ref: str, form: dict[str, str]) -> str:
        """Act as the payer on ``tx_ref``'s checkout page (``/_sandbox/``); returns the status."""
        return self.settle(self._transaction(tx_ref)["token"], form)["status"]

    # --- what the merchant is told ---------------------------------------------------------------
    def _notifications(self, row: sqlite3.Row) -> list[dict[str, Any]]:
        """The callback (if the merchant gave a callback_url) and webhook (if one is set)."""
        notifications: list[dict[str, Any]] = []
        if row["callback_url"]:
            query = urllib.parse.urlencode({"trx_ref": row["tx_ref"], "ref_id": row["reference"],
                                            "status": row["status"]})
            separator = "&" if "?" in row["callback_url"] else "?"
            notifications.append({"tx_ref": row["tx_ref"], "kind": "callback",
                                  "url": row["callback_url"] + separator + query})
        webhook_url = self.store.setting("webhook_url")
        if webhook_url:
            notifications.append({"tx_ref": row["tx_ref"], "kind": "webhook",
                                  "event": EVENTS[row["status"]], "url": webhook_url,
                                  "body": webhook_body(row).decode()})
        return notifications

    def replay(self, tx_ref: str) -> dict[str, Any]:
        """Send the last webhook of ``tx_ref`` again, as Chapa's dashboard 'resend' does."""
        self._transaction(tx_ref)
        last = self.store.last_webhook(tx_ref)
        if last is None:
            raise ApiError(404, "No webhook was sent for this transaction")
        (delivery,) = self.store.add_deliveries([{
            "tx_ref": tx_ref, "kind": "webhook", "event": last["event"],
            "url": self.store.setting("webhook_url") or last["url"], "body": last["body"]}])
        return {"delivery": delivery}

    def deliveries(self, tx_ref: str | None) -> list[dict[str, Any]]:
        """Callbacks and webhooks queued so far, with their attempts and whether more will come."""
        result = []
        for row in self.store.deliveries(tx_ref):
            delivered = bool(row["delivered"])
            result.append({
                "id": row["id"], "tx_ref": row["tx_ref"], "kind": row["kind"],
                "event": row["event"], "url": row["url"], "delivered": delivered,
                # still being sent or retried: neither answered with 200 nor given up
                "pending": not delivered and row["next_attempt_at"] != NEVER
                and row["attempts"] < config.WEBHOOK_ATTEMPTS,
                "attempts": [dict(a) for a in self.store.attempts(row["id"])],
            })
        return result

    # --- the merchant's settings -----------------------------------------------------------------
    def settings(self, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Apply ``changes`` to the settings the course may change; returns them all."""
        for key in SETTINGS:
            if changes and key in changes:
                self.store.set_setting(key, changes[key])
        return {key: self.store.setting(key) for key in SETTINGS}


def webhook_body(row: sqlite3.Row) -> bytes:
    """The flat JSON Chapa posts; serialised once, compact — these exact bytes are signed."""
    amount = Decimal(row["amount"])
    body = {
        "event": EVENTS[row["status"]], "first_name": row["first_name"] or "",
        "last_name": row["last_name"] or "", "email": row["email"], "mobile": row["mobile"],
        "currency": row["currency"], "amount": f"{amount:.2f}", "charge": f"{charge(amount):.2f}",
        "status": row["status"], "mode": row["mode"], "reference": row["reference"],
        "created_at": row["created_at"], "updated_at": row["updated_at"], "type": "API",
        "tx_ref": row["tx_ref"], "payment_method": row["method"],
        "customization": json.loads(row["customization"]),
        "meta": json.loads(row["meta"]) if row["meta"] else None,
    }
    return json.dumps(body, separators=(",", ":")).encode()
