"""Every process a payment touches, for tests: a Chapa sandbox, gunicorn, a Celery worker, SMTP.

The sandbox is a private one (``standins``), its webhooks retried every 0.2 s; the SMTP server
is the tests' own; the API server and the worker run the test settings on pytest-django's test
database. Used by ``flows/test_payment_flow.py`` and by the course's browser test, whose module
fixtures register ``drain`` (see ``isolation.drained_after_each_test``): a test's webhooks and
emails are done before its database is flushed.

Two kinds of call go to the sandbox, and the names keep them apart: Chapa's API (``/v1/…``) is
what the project's ``payments.chapa`` client speaks, to the sandbox as to api.chapa.co; the
sandbox's own ``/_sandbox/…`` endpoints (``SandboxDashboard``) stand in for what a person does
on Chapa's side — setting the webhook URL in the dashboard, paying on the checkout page,
pressing "resend" — and exist on no real Chapa.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create

from .clients import bearer
from .factories import ListingFactory, UserFactory
from .isolation import drained_after_each_test
from .mail import SmtpSink
from .processes import CeleryWorker, Gunicorn, purge_queue, test_env, wait_until
from .standins import private_chapa

VISA = "4200000000000000"
DECLINED = "4111111111111111"


class SandboxDashboard:
    """The sandbox's ``/_sandbox/`` endpoints: Chapa's dashboard and a payer, scripted."""

    def __init__(self, url: str) -> None:
        self.url = url

    def configure(self, **values) -> dict:
        """Set the merchant's settings (``webhook_url``, ``retry_interval``)."""
        return requests.post(self.url + "/_sandbox/settings", json=values, timeout=10).json()

    def pay(self, tx_ref: str, *, card: str = VISA, cancel: bool = False) -> str:
        """Submit the checkout form of ``tx_ref`` (or cancel it); returns the outcome."""
        form = ({"action": "cancel"} if cancel else
                {"method": "card", "card_number": card, "expiry": "12/34", "cvv": "123"})
        response = requests.post(f"{self.url}/_sandbox/transactions/{tx_ref}/pay",
                                 json=form, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["status"]

    def replay(self, tx_ref: str) -> int:
        """Send ``tx_ref``'s webhook again ("resend" on the dashboard); returns its delivery id."""
        return requests.post(f"{self.url}/_sandbox/transactions/{tx_ref}/replay",
                             json={}, timeout=10).json()["delivery"]

    def deliveries(self, tx_ref: str | None = None) -> list[dict]:
        """Webhooks and callbacks the sandbox sent or is sending, with their attempts."""
        return requests.get(f"{self.url}/_sandbox/deliveries",
                            params={"tx_ref": tx_ref} if tx_ref else {}, timeout=10).json()


class PaymentStack:
    """Sandbox + API server + worker + SMTP sink, wired to each other and to the test database."""

    def __init__(self, config: pytest.Config, home: Path, **env: str) -> None:
        """``env``: more environment variables for the server and the worker."""
        self.sandbox = private_chapa(config, home / "chapa")
        self.dashboard = SandboxDashboard(self.sandbox.url)
        self.sink = SmtpSink().start()
        self.env = test_env(smtp_port=self.sink.port, CHAPA_BASE_URL=self.sandbox.url, **env)
        purge_queue()
        self.server = Gunicorn(workers=2, threads=2, env=self.env)
        self.worker = CeleryWorker(env=self.env)
        self.configure(webhook_url=self.server.url("/api/payments/webhook/"))

    # --- Chapa's side -------------------------------------------------------------------------
    def configure(self, **values) -> dict:
        return self.dashboard.configure(**values)

    def pay(self, tx_ref: str, *, card: str = VISA, cancel: bool = False) -> str:
        return self.dashboard.pay(tx_ref, card=card, cancel=cancel)

    def replay(self, tx_ref: str) -> int:
        return self.dashboard.replay(tx_ref)

    def deliveries(self, tx_ref: str) -> list[dict]:
        return self.dashboard.deliveries(tx_ref)

    def notified(self, tx_ref: str, timeout: float = 15) -> list[dict]:
        """Wait until the sandbox has sent ``tx_ref``'s callback and webhook (or given up).

        ``pay`` returns once the checkout form is submitted; the notifications leave afterwards,
        from the sandbox's delivery threads. A test that changes our database after paying waits
        here first, or a late webhook would act on the state the test is still building.
        """
        def done() -> bool:
            sent = self.deliveries(tx_ref)
            return bool(sent) and not any(d["pending"] for d in sent)
        if not wait_until(done, timeout, interval=0.05):
            raise AssertionError(f"{tx_ref}: the sandbox still notifies {self.deliveries(tx_ref)}")
        return self.deliveries(tx_ref)

    # --- the API, as the guest's client ------------------------------------------------------
    def start_payment(self, booking: Booking) -> requests.Response:
        return requests.post(self.server.url("/api/payments/"), json={"booking": booking.pk},
                             headers=self.auth(booking), timeout=30)

    @staticmethod
    def auth(booking: Booking) -> dict[str, str]:
        return {"Authorization": bearer(booking.guest)}

    # --- after each test ---------------------------------------------------------------------
    def notifications_in_flight(self) -> list[dict]:
        """Webhooks and callbacks to our server that the sandbox has not delivered or given up."""
        if not self.sandbox.running:
            return []  # a killed sandbox delivers nothing (a test restarts it)
        # Chapa calls a callback once; it retries a webhook until answered 200, so many times.
        tries = {"callback": 1, "webhook": self.sandbox.webhook_attempts}
        return [d for d in self.dashboard.deliveries() if d["url"].startswith(self.server.base_url)
                and not d["delivered"] and len(d["attempts"]) < tries[d["kind"]]]

    def drain(self, timeout: float = 30) -> None:
        """Wait until the test's notifications reached the API and the tasks they queued ran."""
        # In this order: a webhook answered 200 has queued its receipt task (on commit) first.
        if not wait_until(lambda: not self.notifications_in_flight(), timeout, interval=0.1):
            raise AssertionError(f"the sandbox still delivers {self.notifications_in_flight()} "
                                 f"{timeout:.0f} s after the test")
        self.worker.drain(timeout)

    def stop(self) -> None:
        self.worker.stop()
        self.server.stop()
        self.sandbox.close()
        self.sink.stop()
        purge_queue()


@contextlib.contextmanager
def running_stack(request: pytest.FixtureRequest, django_db_blocker, home: Path,
                  **env: str) -> Iterator[PaymentStack]:
    """A ``PaymentStack`` for a module fixture, drained after each transactional test."""
    with django_db_blocker.unblock():
        stack = PaymentStack(request.config, home, **env)
    try:
        with drained_after_each_test(stack.drain):
            yield stack
    finally:
        stack.stop()


def future_booking(days_ahead: int = 120) -> Booking:
    """A committed pending booking, months ahead, by a new guest with an address of their own."""
    guest = UserFactory(email=f"guest.{uuid.uuid4().hex[:10]}@example.com")
    check_in = timezone.localdate() + timedelta(days=days_ahead)
    return booking_create(listing=ListingFactory(), guest=guest, check_in=check_in,
                          check_out=check_in + timedelta(days=3), guests=2)
