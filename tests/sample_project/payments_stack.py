"""Every process a payment touches, for tests: Chapa's sandbox, gunicorn, a Celery worker, SMTP.

A private sandbox (its own port and state, webhooks retried every 0.2 s) and a private SMTP sink,
so the tests neither see nor disturb what a notebook does with the course's shared ones; the API
server and the worker run the test settings on pytest-django's test database. Used by
``test_payments*.py`` and by the browser test, whose module fixtures also register ``drain``
(see ``processes.drained_after_each_test``): a test's webhooks and emails are done before its
database is flushed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from bookings.models import Booking
from bookings.services import booking_create
from nexus.chapa import config as sandbox_config
from nexus.proc import wait_until
from nexus.server import Server
from nexus.worker import Worker, purge_queue
from tests.chapa.conftest import Sandbox

from .factories import ListingFactory, UserFactory
from .processes import PrivateSink, worker_drain, worker_env

VISA = "4200000000000000"
DECLINED = "4111111111111111"


class PaymentStack:
    """Sandbox + API server + worker + sink, wired to each other and to the test database."""

    def __init__(self, home: Path) -> None:
        self.sink = PrivateSink(home).start()
        self.sandbox = Sandbox(home / "chapa")
        self.sandbox.start()
        self.env = worker_env(self.sink, CHAPA_BASE_URL=self.sandbox.url)
        purge_queue(settings.CELERY_TASK_DEFAULT_QUEUE)
        self.server = Server(workers=2, threads=2, env=self.env)
        self.worker = Worker(env=self.env)
        self.configure(webhook_url=self.server.url("/api/payments/webhook/"))

    # --- the sandbox, as Chapa's dashboard and as a payer ---------------------------------------
    def configure(self, **values) -> dict:
        return requests.post(self.sandbox.url + "/_sandbox/settings", json=values,
                             timeout=10).json()

    def pay(self, tx_ref: str, *, card: str = VISA, cancel: bool = False) -> str:
        form = ({"action": "cancel"} if cancel else
                {"method": "card", "card_number": card, "expiry": "12/34", "cvv": "123"})
        response = requests.post(f"{self.sandbox.url}/_sandbox/transactions/{tx_ref}/pay",
                                 json=form, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["status"]

    def replay(self, tx_ref: str) -> int:
        return requests.post(f"{self.sandbox.url}/_sandbox/transactions/{tx_ref}/replay",
                             json={}, timeout=10).json()["delivery"]

    def deliveries(self, tx_ref: str) -> list[dict]:
        return requests.get(f"{self.sandbox.url}/_sandbox/deliveries",
                            params={"tx_ref": tx_ref}, timeout=10).json()

    # --- the API, as the guest's client ------------------------------------------------------
    def start_payment(self, booking: Booking) -> requests.Response:
        return requests.post(self.server.url("/api/payments/"), json={"booking": booking.pk},
                             headers=self.auth(booking), timeout=30)

    @staticmethod
    def auth(booking: Booking) -> dict[str, str]:
        return {"Authorization": f"Bearer {AccessToken.for_user(booking.guest)}"}

    # --- after each test ---------------------------------------------------------------------
    def notifications_in_flight(self) -> list[dict]:
        """Webhooks and callbacks to our server that the sandbox has not delivered or given up."""
        if self.sandbox.process is None or self.sandbox.process.poll() is not None:
            return []  # a killed sandbox delivers nothing (a test restarts it)
        deliveries = requests.get(self.sandbox.url + "/_sandbox/deliveries", timeout=10).json()
        # Chapa calls a callback once; it retries a webhook until answered 200, so many times.
        tries = {"callback": 1, "webhook": sandbox_config.WEBHOOK_ATTEMPTS}
        return [d for d in deliveries if d["url"].startswith(self.server.base_url)
                and not d["delivered"] and len(d["attempts"]) < tries[d["kind"]]]

    def drain(self, timeout: float = 30) -> None:
        """Wait until the test's notifications reached the API and the tasks they queued ran."""
        # In this order: a webhook answered 200 has queued its receipt task (on commit) first.
        if not wait_until(lambda: not self.notifications_in_flight(), timeout, interval=0.1):
            raise AssertionError(f"the sandbox still delivers {self.notifications_in_flight()} "
                                 f"{timeout:.0f} s after the test")
        worker_drain(self.worker, timeout)

    def stop(self) -> None:
        self.worker.stop()
        self.server.stop()
        if self.sandbox.process and self.sandbox.process.poll() is None:
            self.sandbox.process.terminate()
            self.sandbox.process.wait(timeout=10)
        self.sink.stop()
        purge_queue(settings.CELERY_TASK_DEFAULT_QUEUE)


def future_booking(days_ahead: int = 120) -> Booking:
    """A committed pending booking, months ahead, by a new guest with an address of their own."""
    guest = UserFactory(email=f"guest.{uuid.uuid4().hex[:10]}@example.com")
    check_in = timezone.localdate() + timedelta(days=days_ahead)
    return booking_create(listing=ListingFactory(), guest=guest, check_in=check_in,
                          check_out=check_in + timedelta(days=3), guests=2)
