"""Sending what the gateway owes the merchant: callbacks (GET, once) and signed webhooks (POST).

Each due delivery is sent by a thread of its own, so a receiver that answers slowly or never delays
only its own delivery. An attempt's outcome is written to the store: a webhook not answered with
200 is retried every ``retry_interval`` seconds (a setting) up to ``config.WEBHOOK_ATTEMPTS`` times,
as Chapa does every 10 minutes; a callback is called once.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
import urllib.error
import urllib.request

from nexus.standins.chapa import config
from nexus.standins.chapa.store import NEVER, Store

#: Seconds to wait for a receiver's answer; then the attempt counts as failed.
REQUEST_TIMEOUT = 10
#: How often the store is asked for due deliveries.
POLL_INTERVAL = 0.2
#: At most this many requests out at once; further due deliveries wait for the next poll.
MAX_IN_FLIGHT = 32


def signatures(body: bytes) -> dict[str, str]:
    """Chapa's two headers: HMAC of the exact body bytes, and the constant HMAC(K, K)."""
    secret = config.WEBHOOK_SECRET.encode()
    return {
        "x-chapa-signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
        "Chapa-Signature": hmac.new(secret, secret, hashlib.sha256).hexdigest(),
    }


def send(delivery: sqlite3.Row) -> tuple[int | None, str | None]:
    """One attempt: (HTTP status, None) if the receiver answered, else (None, the error)."""
    body = delivery["body"].encode() if delivery["kind"] == "webhook" else None
    headers = {"Content-Type": "application/json", **signatures(body)} if body else {}
    try:
        request = urllib.request.Request(delivery["url"], data=body, headers=headers,
                                         method="POST" if body else "GET")
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    # ValueError: the merchant's URL is not one (Request raises "unknown url type")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))


class Dispatcher:
    """Finds due deliveries and sends each in a thread of its own, one attempt at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Held while choosing what to send and while recording an outcome, so a delivery whose
        # attempt just ended is never also still due in the same poll.
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set (the sandbox's background thread)."""
        while not stop.wait(POLL_INTERVAL):
            try:
                self.dispatch_due()
            except Exception as exc:  # keep delivering whatever one bad row does
                print(f"delivery loop error: {exc!r}", flush=True)

    def dispatch_due(self) -> None:
        """Start an attempt for every due delivery that has none under way."""
        with self._lock:
            for delivery in self.store.due_deliveries(now=time.time(),
                                                      max_attempts=config.WEBHOOK_ATTEMPTS):
                if delivery["id"] in self._in_flight or len(self._in_flight) >= MAX_IN_FLIGHT:
                    continue
                self._in_flight.add(delivery["id"])
                # Daemon threads: stopping the sandbox never waits for a receiver's answer.
                threading.Thread(target=self._attempt, args=(delivery,), daemon=True,
                                 name=f"delivery-{delivery['id']}").start()

    def _attempt(self, delivery: sqlite3.Row) -> None:
        try:
            status, error = send(delivery)
        except Exception as exc:  # still an attempt: recorded, and the delivery freed below
            status, error = None, repr(exc)
        with self._lock:
            try:
                self.store.record_attempt(delivery["id"], status=status, error=error,
                                          delivered=status == 200,
                                          next_attempt_at=self._next_attempt(delivery, status))
            except Exception as exc:  # in a thread, it would only reach stderr
                print(f"delivery {delivery['id']} not recorded: {exc!r}", flush=True)
            finally:
                self._in_flight.discard(delivery["id"])

    def _next_attempt(self, delivery: sqlite3.Row, status: int | None) -> float:
        # Chapa calls the callback once; only webhooks are retried until answered with 200.
        if status == 200 or delivery["kind"] == "callback":
            return NEVER
        if delivery["attempts"] + 1 >= config.WEBHOOK_ATTEMPTS:
            return NEVER
        interval = float(self.store.setting("retry_interval", config.DEFAULT_RETRY_INTERVAL))
        return time.time() + interval
