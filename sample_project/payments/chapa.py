"""An HTTP client for Chapa's v1 API (https://developer.chapa.co/).

The same code talks to the real ``https://api.chapa.co`` or to the course's local sandbox: only
``CHAPA_BASE_URL`` and ``CHAPA_SECRET_KEY`` differ. It knows Chapa's protocol and nothing about
bookings; deciding what a verified payment means is ``payments.services``' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.conf import settings


class ChapaError(Exception):
    """Anything that stopped a Chapa call from giving an answer we can use."""


class ChapaNotConfigured(ChapaError):
    """No secret key: the client refuses to call Chapa at all."""


class ChapaUnavailable(ChapaError):
    """Chapa could not be reached or failed on its side (timeout, connection, 5xx): try later."""


class ChapaRejected(ChapaError):
    """Chapa answered, and said no (4xx): the message says why."""

    def __init__(self, message: Any, *, status_code: int) -> None:
        super().__init__(message if isinstance(message, str) else str(message))
        self.detail = message
        self.status_code = status_code


class ChapaNotPaid(ChapaRejected):
    """Verify found the transaction, but the payer has not finished paying."""


@dataclass(frozen=True)
class Verification:
    """What verify says about a transaction, typed; ``raw`` keeps the payload as received."""

    status: str  # the payment's status: "success", "failed", "pending"… (NOT the envelope's)
    tx_ref: str
    amount: Decimal
    currency: str
    mode: str  # "test" or "live"
    reference: str
    raw: dict[str, Any]


def as_decimal(value: Any) -> Decimal:
    """Chapa sends amounts as numbers in verify and as strings in webhooks: accept both."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ChapaError(f"Chapa sent an amount that is not a number: {value!r}") from None


class ChapaClient:
    """Calls Chapa with the merchant's secret key. Thread-safe; one per process is enough."""

    # (connect, read) seconds: a slow gateway must not hold a web worker for long.
    TIMEOUT = (3.05, 10)

    def __init__(self, *, base_url: str, secret_key: str,
                 session: requests.Session | None = None) -> None:
        if not secret_key:
            raise ChapaNotConfigured("CHAPA_SECRET_KEY is not set; payments are unavailable.")
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers["Authorization"] = f"Bearer {secret_key}"

    @classmethod
    def from_settings(cls) -> ChapaClient:
        """A client configured from ``CHAPA_BASE_URL`` and ``CHAPA_SECRET_KEY``."""
        return cls(base_url=settings.CHAPA_BASE_URL, secret_key=settings.CHAPA_SECRET_KEY)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(method, self.base_url + path, timeout=self.TIMEOUT,
                                             **kwargs)
        except requests.RequestException as exc:
            raise ChapaUnavailable(f"Chapa did not answer: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise ChapaUnavailable(f"Chapa failed with HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ChapaUnavailable(
                f"Chapa answered HTTP {response.status_code} without JSON") from None
        if response.status_code >= 400:
            message = body.get("message") if isinstance(body, dict) else body
            error = ChapaNotPaid if message == "Payment not paid yet" else ChapaRejected
            raise error(message, status_code=response.status_code)
        return body

    def initialize(self, *, tx_ref: str, amount: Decimal, currency: str, email: str = "",
                   first_name: str = "", last_name: str = "", callback_url: str = "",
                   return_url: str = "", title: str = "", description: str = "",
                   meta: dict[str, Any] | None = None) -> str:
        """Start a payment; returns the hosted checkout URL to send the payer to."""
        payload: dict[str, Any] = {
            "tx_ref": tx_ref, "amount": str(amount), "currency": currency, "email": email,
            "first_name": first_name, "last_name": last_name,
            "callback_url": callback_url, "return_url": return_url,
            "customization": {"title": title, "description": description},
        }
        if meta:
            payload["meta"] = meta
        body = self._call("POST", "/v1/transaction/initialize", json=payload)
        try:
            return body["data"]["checkout_url"]
        except (KeyError, TypeError):
            raise ChapaError("Chapa's initialize answer had no checkout_url") from None

    def verify(self, tx_ref: str) -> Verification:
        """Ask Chapa what happened to ``tx_ref``. The only source of truth about a payment."""
        body = self._call("GET", f"/v1/transaction/verify/{tx_ref}")
        data = body.get("data") or {}
        try:
            return Verification(
                status=str(data["status"]), tx_ref=str(data["tx_ref"]),
                amount=as_decimal(data["amount"]), currency=str(data["currency"]),
                mode=str(data.get("mode", "")), reference=str(data.get("reference") or ""),
                raw=data,
            )
        except KeyError as exc:
            raise ChapaError(f"Chapa's verify answer lacks {exc.args[0]!r}") from None
