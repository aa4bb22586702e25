"""A real Celery worker for a notebook or a test: ``nexus.worker()``.

The worker is a separate process (``celery -A config worker``, prefork pool, one child), run
from ``sample_project/`` with the caller's environment, so it reads the same database and the
same broker queue as the notebook that started it::

    worker = nexus.worker()                 # waits until the worker answers a ping
    send_booking_confirmation.delay(booking.id)
    worker.until(lambda: len(nexus.mailbox().to(guest.email)) == 1)
    worker.inspect().registered()           # this worker's task names
    worker.stop()                           # warm shutdown (or use it as a context manager)

Each notebook database has its own queue (``CELERY_TASK_DEFAULT_QUEUE``, set by
``nexus.start``): a task carries ids that mean something in one database only. Logs go to
``.nexus/worker/``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from nexus.errors import NexusError
from nexus.managed import ManagedProcess, child_environment
from nexus.paths import SAMPLE_PROJECT, state_dir
from nexus.proc import log_tail, wait_until

__all__ = [
    "DEFAULT_QUEUE", "QUEUE_VAR", "Inspector", "TaskEvent", "Worker", "broker_url", "check_broker",
    "purge_queue", "queue_length", "queue_name", "run_foreground", "worker",
]

#: The variable that names the queue a project's tasks go to (read by the settings).
QUEUE_VAR = "CELERY_TASK_DEFAULT_QUEUE"
#: The settings' default queue when the variable is unset.
DEFAULT_QUEUE = "nexus"

_COUNTER = itertools.count(1)

# Celery's own log lines about a task, e.g.
# "Task bookings.tasks.send_booking_confirmation[3f…] retry: Retry in 2s: ConnectionRefusedError(…)"
_TASK_LINE = re.compile(
    r"Task (?P<task>[\w.]+)\[(?P<id>[0-9a-f-]+)\] (?P<event>received|succeeded|retry|raised)"
    r"(?: in [\d.e-]+s)?:? ?(?P<detail>.*)$"
)
_LIMIT_LINE = re.compile(
    r"(?P<kind>Soft|Hard) time limit \((?P<limit>[\d.]+)s\) exceeded for "
    r"(?P<task>[\w.]+)\[(?P<id>[0-9a-f-]+)\]"
)


@dataclass(frozen=True)
class TaskEvent:
    """One thing the worker logged about a task: received, retry, succeeded, raised…"""

    task: str
    id: str
    event: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.event:<9} {self.detail}".rstrip()


def broker_url() -> str:
    """The broker the sample project uses (``CELERY_BROKER_URL``, or the embedded Redis)."""
    from nexus.services.broker import SERVICE

    return os.environ.get("CELERY_BROKER_URL") or SERVICE.url()


def queue_name(env: dict[str, str] | None = None) -> str:
    """The queue tasks go to and workers read, as the settings will see it."""
    return (env or {}).get(QUEUE_VAR) or os.environ.get(QUEUE_VAR) or DEFAULT_QUEUE


def check_broker() -> None:
    """Raise a one-line :class:`NexusError` if the broker in use does not answer."""
    from nexus.services.broker import SERVICE

    state = SERVICE.status()
    if state.up:
        return
    where = "RabbitMQ" if state.address.startswith("amqp") else "the broker"
    raise NexusError(
        "worker", f"{where} at {state.address} does not answer ({state.detail.strip()})",
        f"start it, or unset {SERVICE.env_var} to use the embedded Redis"
        if SERVICE.external_url else "run `nexus up`",
    )


def _connection():
    from kombu import Connection

    return Connection(broker_url(), connect_timeout=5)


def queue_length(queue: str | None = None) -> int:
    """How many messages wait in ``queue`` (default: this notebook's), on Redis or RabbitMQ."""
    name = queue or queue_name()
    with _connection() as conn:
        try:
            return conn.default_channel.queue_declare(name, passive=True).message_count
        except conn.channel_errors:  # RabbitMQ: the queue was never declared, so it is empty
            return 0


def purge_queue(queue: str | None = None) -> int:
    """Delete the messages waiting in ``queue`` (default: this notebook's); returns how many."""
    name = queue or queue_name()
    with _connection() as conn:
        try:
            return conn.default_channel.queue_purge(name) or 0
        except conn.channel_errors:  # RabbitMQ: no such queue yet
            return 0


class Inspector:
    """``celery inspect``, answered by one worker: its part of each reply, not a dict by host."""

    def __init__(self, worker: Worker, timeout: float = 2.0) -> None:
        self.worker = worker
        self._inspect = worker.control.inspect(destination=[worker.hostname], timeout=timeout)

    def _ask(self, method: str):
        replies = getattr(self._inspect, method)() or {}
        if self.worker.hostname not in replies:
            raise NexusError(
                "worker", f"the worker did not answer `inspect {method}` in time",
                f"is it busy or dead? its log: {self.worker.log_path}",
            )
        return replies[self.worker.hostname]

    def active(self) -> list[dict]:
        """Tasks running right now (name, args, id, when started…)."""
        return self._ask("active")

    def reserved(self) -> list[dict]:
        """Tasks taken from the broker, waiting for a free pool process."""
        return self._ask("reserved")

    def scheduled(self) -> list[dict]:
        """Tasks held until their ETA or countdown (e.g. a retry waiting its turn)."""
        return self._ask("scheduled")

    def registered(self) -> list[str]:
        """The task names this worker can run, sorted."""
        return sorted(self._ask("registered"))

    def stats(self) -> dict:
        """Pool, prefetch, broker and tasks-run counters."""
        return self._ask("stats")


class Worker(ManagedProcess):
    """A ``celery -A config worker`` process consuming this notebook's queue."""

    kind = "worker"
    stop_timeout = 20

    def __init__(self, *, concurrency: int = 1, env: dict[str, str] | None = None,
                 visibility_timeout: int | None = None, loglevel: str = "INFO",
                 ready_timeout: float = 60) -> None:
        check_broker()
        environment = child_environment(env)
        environment.setdefault("CELERY_BROKER_URL", broker_url())
        if visibility_timeout is not None:
            environment["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        self.queue = queue_name(environment)
        self.name = f"{self.queue}-{os.getpid()}-{next(_COUNTER)}"
        self.hostname = f"{self.name}@{socket.gethostname()}"
        self.log = self.log_file(self.name)
        self.log.write_text("")
        argv = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", "prefork", "--concurrency", str(concurrency),
            "--queues", self.queue, "--hostname", self.hostname,
            # No chatter with other workers: starts faster, and lessons have one worker.
            "--without-gossip", "--without-mingle", "--loglevel", loglevel,
        ]
        from celery import Celery

        # A bare app on the same broker is enough to ping and inspect: no Django needed here.
        # Celery lets CELERY_BROKER_URL in *this* process's environment override `broker=`;
        # the read/write URLs win over both, so a worker given another broker is found there.
        url = environment["CELERY_BROKER_URL"]
        toolkit_app = Celery("nexus-toolkit", broker=url, set_as_current=False)
        toolkit_app.conf.update(broker_read_url=url, broker_write_url=url)
        self.control = toolkit_app.control
        self.started = time.monotonic()
        self.launch(
            argv, env=environment, cwd=SAMPLE_PROJECT, ready=self._answers,
            timeout=ready_timeout, interval=0.2,
            failed=f"the Celery worker did not answer within {ready_timeout:.0f} s",
            fix=f"read {self.log}; `python -m celery -A config worker` in sample_project/ "
            "shows the error too",
        )

    # --- state --------------------------------------------------------------------------------
    def _answers(self) -> bool:
        if self.process.poll() is not None:
            return True  # dead: stop waiting (alive() says which)
        return bool(self.control.ping(destination=[self.hostname], timeout=0.5))

    def inspect(self, timeout: float = 2.0) -> Inspector:
        """Ask this worker what it runs, holds and knows (``active()``, ``registered()``…)."""
        return Inspector(self, timeout)

    def history(self, task_id: str | None = None) -> list[TaskEvent]:
        """What the worker logged about tasks so far (of one task if ``task_id`` is given)."""
        events = []
        for line in self.log.read_text(errors="replace").splitlines():
            if match := _TASK_LINE.search(line):
                event = TaskEvent(match["task"], match["id"], match["event"],
                                  match["detail"].strip())
            elif match := _LIMIT_LINE.search(line):
                event = TaskEvent(match["task"], match["id"], f"{match['kind'].lower()} limit",
                                  f"{match['limit']} s exceeded")
            else:
                continue
            if task_id is None or event.id == task_id:
                events.append(event)
        return events

    def until(self, condition: Callable[[], object], timeout: float = 15) -> None:
        """Wait until ``condition()`` holds; a readable error if the worker died or time ran out."""
        if wait_until(lambda: bool(condition()) or not self.alive(), timeout, interval=0.05) \
                and self.alive():
            return
        if condition():
            return
        state = "died" if not self.alive() else f"was still at it after {timeout:.0f} s"
        raise NexusError("worker", f"the worker {state}; its log ends:\n    "
                         + log_tail(self.log, 8), f"read {self.log}")

    # --- ending -------------------------------------------------------------------------------
    def stop(self, timeout: float | None = None) -> None:
        """Warm shutdown: finish the running task, hand back what it held, exit.

        After ``timeout`` (20 s) it is killed. :meth:`kill` hands nothing back: messages it
        held stay with the broker.
        """
        super().stop(timeout)
        with contextlib.suppress(Exception):
            self.control.app.close()

    def __repr__(self) -> str:
        state = "running" if self.alive() else "stopped"
        return f"<Celery worker on queue {self.queue!r}: {state}>"


def worker(*, concurrency: int = 1, env: dict[str, str] | None = None,
           visibility_timeout: int | None = None, loglevel: str = "INFO") -> Worker:
    """Start (or reuse) a real Celery worker on this notebook's queue; stopped when Python exits.

    Returns once the worker answers a ping. ``env`` adds or overrides variables for the worker
    only (e.g. ``{"BOOKING_EMAIL_RETRY_JITTER": "false"}``). ``visibility_timeout`` (Redis
    brokers) sets after how many seconds this worker hands out messages another worker took
    and never acknowledged. Calling it again with the same arguments while the worker runs
    returns that worker, so re-running a cell does not start a second one.
    """
    key = (concurrency, tuple(sorted((env or {}).items())), visibility_timeout, loglevel,
           queue_name(env))
    return Worker.reuse(key, lambda: Worker(concurrency=concurrency, env=env,
                                            visibility_timeout=visibility_timeout,
                                            loglevel=loglevel))


# --- the `nexus worker` / `nexus beat` commands ---------------------------------------------------
def _database_exists(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if "does not exist" in str(exc):
            return False
        raise NexusError("worker", f"PostgreSQL refused the connection: {exc}".strip(),
                         "run `nexus up`, or check DATABASE_URL") from None
    return True


def run_foreground(program: str, lesson: str, *, concurrency: int = 1,
                   loglevel: str = "INFO") -> int:
    """Run ``celery worker`` (or ``beat``) in this terminal for lesson ``lesson``'s notebook.

    It uses the notebook's database and queue, so tasks the notebook (or a server it started)
    queues are the ones this worker runs. Ctrl-C stops it (warm shutdown).
    """
    from nexus import database, services
    from nexus.errors import UsageError
    from nexus.services.postgres import SERVICE as POSTGRES

    if program == "worker" and concurrency < 1:
        raise UsageError(f"--concurrency must be 1 or more, not {concurrency}")
    try:
        name = database.database_name(lesson)
    except NexusError:
        raise UsageError(f"'{lesson}' is not a lesson (use its number, e.g. `nexus "
                         f"{program} 06`)") from None
    services.up(["postgres", "broker"])
    services.export_environment()
    check_broker()
    url = POSTGRES.server_url(name)
    if not _database_exists(url):
        raise NexusError(program, f"lesson {lesson}'s database {name} does not exist yet",
                         f'run the first cell of the notebook (nexus.start("{lesson}")) first')
    env = child_environment({"DATABASE_URL": url, QUEUE_VAR: name})
    argv = [sys.executable, "-m", "celery", "-A", "config", program, "--loglevel", loglevel]
    if program == "worker":
        argv += ["--pool", "prefork", "--concurrency", str(concurrency), "--queues", name,
                 "--hostname", f"{name}-terminal@{socket.gethostname()}"]
    else:
        schedule = state_dir() / "worker" / f"beat-{name}"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--schedule", str(schedule)]
    print(f"{program} for lesson {lesson}: database {name}, queue {name} (Ctrl-C stops it)",
          flush=True)
    try:
        return subprocess.call(argv, cwd=SAMPLE_PROJECT, env=env)
    except KeyboardInterrupt:  # the worker got the same Ctrl-C and shuts down warm
        return 130
