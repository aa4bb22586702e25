"""Drive the Chapa sandbox (:mod:`nexus.standins.chapa`) from a notebook or a test.

Settings, paying without a browser, replays.

These call the sandbox's own ``/_sandbox/`` endpoints; the sample project never uses them — it only
speaks Chapa's public API.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from nexus.standins.chapa import config


def base_url() -> str:
    """The sandbox's base URL (starting it if needed)."""
    from nexus.services.chapa import SERVICE

    SERVICE.ensure()
    return SERVICE.url()


def _call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url() + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
        return json.load(response)


def configure(*, webhook_url: str | None = None, retry_interval: float | None = None) -> dict:
    """Set the merchant's webhook URL and the retry interval (seconds); returns the settings."""
    body: dict[str, Any] = {}
    if webhook_url is not None:
        body["webhook_url"] = webhook_url
    if retry_interval is not None:
        body["retry_interval"] = retry_interval
    return _call("POST", "/_sandbox/settings", body)


def pay(tx_ref: str, *, card: str | None = None, phone: str | None = None,
        cvv: str | None = None, expiry: str = config.TEST_CARD_EXPIRY,
        otp: str = config.TEST_OTP, cancel: bool = False) -> str:
    """Act as the payer on the checkout page; returns the resulting status.

    With no instrument given, pays with the Visa test card. Any other number fails, as in
    Chapa's test mode; ``cancel=True`` presses "Cancel payment".
    """
    if cancel:
        form: dict[str, Any] = {"action": "cancel"}
    elif phone is not None:
        form = {"method": "mobile", "phone": phone, "otp": otp}
    else:
        number = card or "4200000000000000"
        spec = config.TEST_CARDS.get(number.replace(" ", ""), {"cvv": "123"})
        form = {"method": "card", "card_number": number, "expiry": expiry,
                "cvv": cvv if cvv is not None else (spec["cvv"] or "123")}
    return _call("POST", f"/_sandbox/transactions/{tx_ref}/pay", form)["status"]


def replay(tx_ref: str) -> int:
    """Send ``tx_ref``'s last webhook again (teaches idempotency); returns the delivery id."""
    return _call("POST", f"/_sandbox/transactions/{tx_ref}/replay", {})["delivery"]


def deliveries(tx_ref: str | None = None) -> list[dict[str, Any]]:
    """Callbacks and webhooks sent so far, each with its attempts (status code or error)."""
    suffix = f"?tx_ref={tx_ref}" if tx_ref else ""
    return _call("GET", f"/_sandbox/deliveries{suffix}")
