"""The processes the sample project's tests start for themselves: an SMTP sink and a worker's view.

A private sink (its own port and folder) can be stopped, slowed down and read without touching
the course's shared one, which notebooks and other tests use. ``worker_env`` is what a real
Celery worker (``nexus.worker.Worker``) or gunicorn needs to see this test run: the test
settings, pytest-django's test database, this run's queue and that sink. Used by
``test_tasks.py``, ``test_wishlists.py``, ``test_faults.py`` and ``payments_stack.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from nexus.mail import Mail, Mailbox
from nexus.services.base import HOST, free_port, port_answers, terminate, wait_until

RECEIPT_SUBJECT = "Payment received: "


class PrivateSink:
    """The course's SMTP sink (``python -m nexus.smtp_sink``) on a port and folder of our own."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.maildir = home / "mail"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateSink:
        """Start the sink on its port (again, after ``stop()``); returns once it accepts."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nexus.smtp_sink", "--host", HOST, "--port", str(self.port),
             "--maildir", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert wait_until(lambda: port_answers(self.port), 15), "private SMTP sink did not start"
        return self

    def stop(self) -> None:
        """Stop the sink: new SMTP connections are refused until ``start()``."""
        if self.process is not None:
            terminate(self.process.pid)
            self.process.wait(timeout=10)
            self.process = None

    def set_delay(self, seconds: float) -> None:
        """Answer every SMTP command ``seconds`` late (0: full speed)."""
        (self.home / "delay_ms").write_text(str(int(seconds * 1000)))

    def to(self, address: str) -> list[Mail]:
        """Every message delivered to ``address``."""
        return Mailbox(self.maildir).to(address)

    def receipts(self, address: str) -> list[Mail]:
        """Payment receipts (not booking confirmations) sent to ``address``."""
        return [m for m in self.to(address) if m.subject.startswith(RECEIPT_SUBJECT)]


def pytest_database_url() -> str:
    """DATABASE_URL naming pytest-django's test database, for processes we start."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + settings.DATABASES["default"]["NAME"]).geturl()


def worker_env(sink: PrivateSink, queue: str | None = None, **extra: str) -> dict[str, str]:
    """A worker's (or server's) view: test settings, test database, this run's queue, our sink."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": pytest_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue or settings.CELERY_TASK_DEFAULT_QUEUE,
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(sink.port),
        # The textbook schedule (1, 2, 4 s) instead of a random wait below it.
        "BOOKING_EMAIL_RETRY_JITTER": "false",
        **extra,
    }
