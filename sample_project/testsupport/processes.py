"""The processes the tests start for themselves: gunicorn and a Celery worker, as in production.

Plain subprocesses of ``python -m gunicorn`` and ``python -m celery -A config worker``, run from
the project's folder with the test settings, pytest-django's test database and this run's queue
(``test_env``). Each one runs in a process group of its own, and stopping it signals the whole
group, so no gunicorn or pool child outlives the fixture that started it; ``atexit`` stops what a
test left running when the test process ends.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings

HOST = "127.0.0.1"
#: The project's folder (manage.py, config/): where gunicorn and celery run.
PROJECT_DIR = Path(__file__).resolve().parent.parent
#: Logs of the processes this test run starts.
LOG_DIR = Path(tempfile.gettempdir()) / f"sample-project-tests-{os.getpid()}"
_NAMES = itertools.count(1)


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_answers(port: int) -> bool:
    """True if something accepts TCP connections on ``port``."""
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
        return True
    return False


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it is true (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def test_database_url() -> str:
    """``DATABASE_URL`` naming pytest-django's test database, for the processes we start."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + settings.DATABASES["default"]["NAME"]).geturl()


def test_env(*, queue: str | None = None, smtp_port: int | None = None,
             **extra: str) -> dict[str, str]:
    """What a worker or server needs to see this test run: test settings, test database,
    this run's queue (or ``queue``), the SMTP server on ``smtp_port``."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # Off whatever the shell exports (a developer's .env says true); ``extra`` may say true.
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": test_database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue or settings.CELERY_TASK_DEFAULT_QUEUE,
        # The textbook schedule (1, 2, 4 s) instead of a random wait below it.
        "EMAIL_TASK_RETRY_JITTER": "false",
    }
    if smtp_port is not None:
        env |= {"EMAIL_HOST": HOST, "EMAIL_PORT": str(smtp_port)}
    return env | extra


test_env.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test for pytest
test_database_url.__test__ = False  # type: ignore[attr-defined]


class Child:
    """A subprocess in a process group of its own, its output in ``log``."""

    def __init__(self, argv: list[str], name: str, env: dict[str, str] | None) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log = LOG_DIR / f"{name}.log"
        environment = dict(os.environ)
        # pytest-django or a notebook may allow async-unsafe ORM calls; a server must not.
        environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        environment |= env or {}
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(argv, cwd=PROJECT_DIR, env=environment,
                                            stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        atexit.register(self.kill)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 12) -> str:
        return "\n    ".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)  # its own session: the pid names the group

    def kill(self) -> None:
        """SIGKILL the process and its children at once, as a crash or the OOM killer would."""
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for whatever of the group is left."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()  # children of a main process that died abruptly would otherwise linger

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Gunicorn(Child):
    """``gunicorn config.wsgi`` on a free loopback port; returns once it accepts connections."""

    def __init__(self, *, workers: int = 2, threads: int = 1,
                 env: dict[str, str] | None = None, config_file: str | None = None) -> None:
        """``config_file`` (e.g. ``gunicorn.conf.py``, as deployed) is read first; the
        arguments given here win over it, as on gunicorn's command line."""
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        config = ["--config", config_file] if config_file else ["--access-logfile", "-"]
        super().__init__([sys.executable, "-m", "gunicorn", "config.wsgi:application",
                          *config, "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
                          "--threads", str(threads), "--timeout", "30"],
                         f"gunicorn-{self.port}", env)
        if not wait_until(lambda: not self.alive() or port_answers(self.port), 30) \
                or not self.alive():
            self.stop()
            raise RuntimeError(f"gunicorn did not start; its log ends:\n    {self.log_tail()}")

    def url(self, path: str = "/") -> str:
        return self.base_url + path


class TaskEvent(NamedTuple):
    """One line of the worker's log about a task: ``event`` is received, retry, succeeded,
    raised or soft limit; ``detail`` the rest of the line (e.g. "Retry in 2s: …")."""

    task: str  # its name, e.g. bookings.tasks.send_booking_confirmation
    id: str  # the task id (a message redelivered keeps it)
    event: str
    detail: str


# Celery's log lines about a task, e.g.
# "Task bookings.tasks.send_booking_confirmation[3f…] retry: Retry in 2s: ConnectionRefusedError(…)"
_EVENT = re.compile(r"Task (?P<task>[\w.]+)\[(?P<id>[0-9a-f-]+)\] "
                    r"(?P<event>received|succeeded|retry|raised)(?: in \S+s)?:? ?(?P<detail>.*)$")
_TIME_LIMIT = re.compile(r"Soft time limit \((?P<limit>[\d.]+)s\) exceeded for "
                         r"(?P<task>[\w.]+)\[(?P<id>[0-9a-f-]+)\]")


def _task_event(line: str) -> TaskEvent | None:
    """The task event a line of the worker's log reports, if any."""
    if found := _EVENT.search(line):
        return TaskEvent(found["task"], found["id"], found["event"], found["detail"].strip())
    if found := _TIME_LIMIT.search(line):
        return TaskEvent(found["task"], found["id"], "soft limit", f"{found['limit']} s exceeded")
    return None


class CeleryWorker(Child):
    """``celery -A config worker`` (prefork) on one queue; returns once it answers a ping."""

    def __init__(self, *, env: dict[str, str] | None = None, concurrency: int = 1,
                 visibility_timeout: int | None = None) -> None:
        env = dict(env or {})
        if visibility_timeout is not None:
            env["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        self.queue = env.get("CELERY_TASK_DEFAULT_QUEUE") or settings.CELERY_TASK_DEFAULT_QUEUE
        self.hostname = f"{self.queue}-{os.getpid()}-{next(_NAMES)}@{socket.gethostname()}"
        broker = env.get("CELERY_BROKER_URL") or settings.CELERY_BROKER_URL
        super().__init__([sys.executable, "-m", "celery", "-A", "config", "worker",
                          "--pool", "prefork", "--concurrency", str(concurrency),
                          "--queues", self.queue, "--hostname", self.hostname,
                          "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
                         self.hostname.split("@")[0], env)
        from celery import Celery

        # An app of its own on the worker's broker, for ping and inspect: the worker may use
        # another broker than the project's app in this process (a test's private one).
        # CELERY_BROKER_URL in this process's environment would override `broker=`; the
        # read and write URLs override both.
        app = Celery("sample-project-tests", broker=broker, set_as_current=False)
        app.conf.update(broker_read_url=broker, broker_write_url=broker)
        self.control = app.control
        if not wait_until(lambda: not self.alive() or self._pong(), 60, interval=0.2) \
                or not self.alive():
            self.stop()
            raise RuntimeError(f"the Celery worker did not start; its log ends:\n    "
                               f"{self.log_tail()}")

    def _pong(self) -> bool:
        return bool(self.control.ping(destination=[self.hostname], timeout=0.5))

    def inspect(self, timeout: float = 2.0) -> Inspector:
        """What this worker runs, holds and knows: ``active()``, ``registered()``, ``stats()``…"""
        return Inspector(self, timeout)

    def history(self, task_id: str | None = None) -> list[TaskEvent]:
        """What the worker logged about tasks so far (of one task if ``task_id`` is given)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [event for event in map(_task_event, lines)
                if event is not None and task_id in (None, event.id)]

    def until(self, condition: Callable[[], object], timeout: float = 15) -> None:
        """Wait until ``condition()`` holds; fail with the log's end if the worker died or
        time ran out."""
        wait_until(lambda: condition() or not self.alive(), timeout)
        if condition():
            return
        state = "died" if not self.alive() else f"was still at it after {timeout:.0f} s"
        raise AssertionError(f"the worker {state}; its log ends:\n    {self.log_tail(8)}")

    def idle(self) -> bool:
        """True when nothing waits in its queue and it runs, holds and schedules nothing."""
        if queue_length(self.queue):  # first the broker: a message it hands out shows up below
            return False
        asked = self.inspect()
        return not (asked.active() or asked.reserved() or asked.scheduled())

    def drain(self, timeout: float = 30) -> None:
        """Wait until the worker is idle (seen twice in a row); fail with what it still has."""
        # Twice: a message between the broker and the worker is in neither for a moment.
        if wait_until(lambda: self.idle() and self.idle(), timeout, interval=0.1):
            return
        asked = self.inspect()
        raise AssertionError(
            f"the worker still has work {timeout:.0f} s after the test: "
            f"{queue_length(self.queue)} queued, active {asked.active()}, "
            f"reserved {asked.reserved()}, scheduled {asked.scheduled()}")

    def stop(self, timeout: float = 20) -> None:
        super().stop(timeout)
        with contextlib.suppress(Exception):
            self.control.app.close()


class Inspector:
    """``celery inspect`` answered by one worker: ``active()``, ``reserved()``, ``scheduled()``,
    ``stats()``, ``registered()`` (sorted) — its own part of each reply."""

    def __init__(self, worker: CeleryWorker, timeout: float) -> None:
        self.worker = worker
        self._inspect = worker.control.inspect(destination=[worker.hostname], timeout=timeout)

    def __getattr__(self, method: str) -> Callable[[], object]:
        def ask():
            replies = getattr(self._inspect, method)() or {}
            if self.worker.hostname not in replies:
                raise AssertionError(f"the worker did not answer `inspect {method}` in time; "
                                     f"its log ends:\n    {self.worker.log_tail(8)}")
            reply = replies[self.worker.hostname]
            return sorted(reply) if method == "registered" else reply

        return ask


def _on_queue(name: str | None, operation: Callable) -> int:
    """``operation(channel, queue)`` on the project's broker; 0 for a queue never declared."""
    from config.celery_app import app

    with app.connection_for_write() as connection:
        try:
            return operation(connection.default_channel,
                             name or settings.CELERY_TASK_DEFAULT_QUEUE) or 0
        except connection.channel_errors:  # RabbitMQ: no such queue, so nothing in it
            return 0


def queue_length(queue: str | None = None) -> int:
    """How many messages wait in ``queue`` (default: this run's), on Redis or RabbitMQ."""
    return _on_queue(queue, lambda channel, name: channel.queue_declare(
        name, passive=True).message_count)


def purge_queue(queue: str | None = None) -> int:
    """Delete the messages waiting in ``queue`` (default: this run's); returns how many."""
    return _on_queue(queue, lambda channel, name: channel.queue_purge(name))
