"""What every lesson's checks share: the one place a check takes its helpers from.

A check is an argument that wrong answers fail, so it needs ways to *observe* a learner's code:
the SQL it sent (:func:`queries_during`), whether it called a function it was asked to call
(:func:`spy`, :func:`compare_digest_calls`), whether it released what it opened
(:func:`open_httpx_clients`), and a real Celery worker to run a task on (:func:`worker`). Rows a
check writes are rolled back (:func:`in_rollback`, :func:`rolled_back`). Nothing here is a lesson:
``registry`` only loads modules named ``lessonNN``.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any


# --- the database ---------------------------------------------------------------------------------
def queries_during(call: Callable[[], object]) -> tuple[object, list[str]]:
    """Run ``call()``; return its value and the SQL Django sent meanwhile (works with DEBUG off)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        value = call()
    return value, [q["sql"] for q in queries.captured_queries]


class Rollback(Exception):
    """Raised to leave a check's transaction without keeping anything it wrote."""


def in_rollback(body: Callable[[], object]) -> object:
    """Run ``body()`` inside a transaction that is always rolled back; return its value.

    Checks create users and bookings to test a learner's code; none of it may stay in the
    learner's database.
    """
    box: list[object] = []
    with rolled_back():
        box.append(body())
    return box[0]


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction that is always rolled back (a Fail raised in it passes)."""
    from django.db import transaction

    with contextlib.suppress(Rollback), transaction.atomic():
        yield
        raise Rollback


@contextlib.contextmanager
def cursors_opened() -> Iterator[list]:
    """Every cursor opened on Django's default connection in the block (to see which stay open)."""
    from django.db import connections

    connection = connections["default"]
    original = connection.cursor
    opened: list = []

    def cursor(*args: Any, **kwargs: Any):
        made = original(*args, **kwargs)
        opened.append(made)
        return made

    connection.cursor = cursor  # an instance attribute: `connection` (the proxy) reads it too
    try:
        yield opened
    finally:
        del connection.cursor


def cursor_is_closed(cursor) -> bool:
    """Whether the DB-API cursor under Django's wrapper was closed."""
    return bool(getattr(getattr(cursor, "cursor", cursor), "closed", True))


# --- people and mail ------------------------------------------------------------------------------
def seeded_user(role: str):
    """The first seeded user of ``role`` (by username): the same one on every run."""
    from accounts.models import User

    return User.objects.filter(role=role).order_by("username").first()


def new_user(username: str, role: str, *, is_staff: bool = False):
    """A user of this check (inside a rollback: the name is free), who can't log in."""
    from accounts.models import User

    return User.objects.create(username=username, email=f"{username}@checks.example",
                               role=role, is_staff=is_staff, password="!")  # "!" = no password


def new_guest(tag: str):
    """A guest with a name and address of this check run only (for committed rows and mail)."""
    from accounts.models import User

    name = f"check-{tag}-{uuid.uuid4().hex[:8]}"
    return User.objects.create_user(username=name, email=f"{name}@check.nexus.example")


def new_pending_booking(guest, *, nights: int = 2):
    """A pending booking of ``guest`` for the first active listing, years ahead (committed rows:
    a worker or Chapa's calls see them), made with the ORM so no task is queued for it.

    Each one starts a week after the last: the exclusion constraint allows no overlap.
    """
    from datetime import timedelta

    from django.utils import timezone

    from bookings.models import Booking
    from listings.models import Listing

    listing = Listing.objects.filter(is_active=True).order_by("id").first()
    taken = Booking.objects.filter(check_in__gte=timezone.localdate()).count()
    check_in = timezone.localdate() + timedelta(days=1500 + 7 * taken)
    return Booking.objects.create(listing=listing, guest=guest, guests=1, check_in=check_in,
                                  check_out=check_in + timedelta(days=nights),
                                  total_price=listing.price_per_night * nights)


def mail_to(address: str) -> int:
    """How many messages the SMTP sink holds for ``address``."""
    from nexus.mail import mailbox

    return len(mailbox().to(address))


def closed_port() -> int:
    """A loopback TCP port nothing listens on (bound, then released): connections are refused."""
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A loopback TCP port that accepts connections (the kernel's backlog) and never says a word.

    The server that hangs a client without a read timeout. Closing it at the end resets the
    queued connections, so a client still waiting wakes up.
    """
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@contextlib.contextmanager
def smtp_down(*, silent: bool = False) -> Iterator[None]:
    """Django's mail goes to a dead server for the block (every thread of this process).

    By default the port refuses connections (the server is down: ``ConnectionRefusedError``);
    ``silent=True`` accepts them and never answers (a hung server: smtplib gives up after the
    1 s ``EMAIL_TIMEOUT`` with ``SMTPServerDisconnected``). Only this process's settings change:
    the course's SMTP sink keeps serving every other notebook.
    """
    from django.test import override_settings

    with contextlib.ExitStack() as stack:
        port = stack.enter_context(silent_port()) if silent else closed_port()
        stack.enter_context(override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port,
                                              EMAIL_TIMEOUT=1 if silent else 2))
        yield


# --- text -----------------------------------------------------------------------------------------
def short(value: object, limit: int = 200) -> str:
    """``value`` for a Fail message: JSON for dicts and lists, repr otherwise, cut at ``limit``."""
    text = json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) \
        else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(exc: BaseException, limit: int = 200) -> str:
    """``"KeyError: 'x'"``, cut at ``limit``."""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- time and threads -----------------------------------------------------------------------------
def wait(condition: Callable[[], object], timeout: float = 10) -> bool:
    """Poll ``condition`` every 50 ms until true (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def at_once(calls: list[Callable[[], object]], timeout: float = 15) -> list[tuple[str, object]]:
    """Start ``calls`` in threads released together by a barrier; ("returned"|"raised"|"hung", x).

    Each thread closes its own database connections when done (Django's are per thread).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("hung", None)] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = ("returned", call())
        except BaseException as exc:  # reported by the check, in the main thread
            outcomes[index] = ("raised", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True, name=f"check-{i}")
               for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return outcomes


def racing_inserts(table: str, calls: list[Callable[[], object]],
                   timeout: float = 10) -> list[tuple[str, object]]:
    """Run ``calls`` at once (see :func:`at_once`) with their INSERTs into ``table`` held back
    until every call is waiting to insert, then let them go: the check-then-insert race, made
    certain instead of likely.

    A connection of its own holds ``LOCK TABLE … IN SHARE MODE`` (it lets SELECTs through and
    makes INSERTs wait); it is released once as many sessions as ``calls`` wait on a lock (or
    after ``timeout`` s, for an answer that serialises its callers some other way).
    """
    from django.db import connections, transaction

    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
                locked.set()
                release.wait(timeout)
        finally:
            connections.close_all()

    def release_when_all_wait() -> None:
        try:
            with connections["default"].cursor() as cursor:
                def waiting() -> bool:
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND wait_event_type = 'Lock'")
                    return cursor.fetchone()[0] >= len(calls)
                wait(waiting, timeout)
        finally:
            release.set()
            connections.close_all()

    holder = threading.Thread(target=hold, daemon=True, name="check-lock")
    holder.start()
    if not locked.wait(timeout):
        release.set()
        raise RuntimeError(f"could not lock {table} for the race")
    releaser = threading.Thread(target=release_when_all_wait, daemon=True, name="check-release")
    releaser.start()
    try:
        return at_once(calls, timeout=timeout + 5)
    finally:
        release.set()
        holder.join(timeout)
        releaser.join(timeout)


def for_all(strategy, test: Callable[[Any], None], *, examples: int = 25) -> None:
    """Run ``test(value)`` on values drawn by a hypothesis ``strategy``: bounded, deterministic.

    Where the input space is the point (every integer, every list of latencies), a few fixed
    cases let an answer fitted to them pass. ``derandomize`` makes every run draw the same values,
    ``database=None`` keeps examples out of a database, and ``quiet`` keeps hypothesis's report
    out of the check cell: a failing ``test`` raises its own Fail (for the smallest failing value
    hypothesis found). Hypothesis also caches constants it reads from source under its home
    directory, by default ``.hypothesis/`` in the working directory (the notebook's folder): unless
    someone chose one (HYPOTHESIS_STORAGE_DIRECTORY), it goes to ``.nexus/`` instead.
    """
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis.configuration import set_hypothesis_home_dir

    from nexus.paths import state_dir

    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(state_dir() / "hypothesis")

    run = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                   verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck),
                   )(given(strategy)(test))
    run()


# --- spies: did the learner's code call what it was asked to? -------------------------------------
@contextlib.contextmanager
def spy(owner: object, name: str) -> Iterator[list[tuple[tuple, dict]]]:
    """Replace ``owner.name`` with a wrapper that records its calls and calls the original."""
    original = getattr(owner, name)
    calls: list[tuple[tuple, dict]] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    setattr(owner, name, recording)
    try:
        yield calls
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def compare_digest_calls(function: Callable) -> Iterator[list[tuple]]:
    """The calls ``function`` makes to ``hmac.compare_digest`` (or ``secrets.compare_digest``).

    Behaviour, not source: a comment that mentions compare_digest is not a call. The learner may
    have imported the name itself (``from hmac import compare_digest``), so that global of the
    function is swapped too.
    """
    original = hmac.compare_digest
    calls: list[tuple] = []

    def recording(a, b):
        calls.append((a, b))
        return original(a, b)

    scope = getattr(function, "__globals__", {})
    own = [name for name, value in scope.items() if value is original]
    hmac.compare_digest = secrets.compare_digest = recording
    for name in own:
        scope[name] = recording
    try:
        yield calls
    finally:
        hmac.compare_digest = secrets.compare_digest = original
        for name in own:
            scope[name] = original


def require_constant_time(calls: list[tuple], look: str) -> None:
    """Fail unless :func:`compare_digest_calls` saw a call: the signature checks of 04 and 07."""
    from nexus.exercises.registry import Fail

    if not calls:
        raise Fail(expected="a constant-time comparison (hmac.compare_digest was called)",
                   got="the signatures were compared another way (==?)",
                   hint="== stops at the first differing character, and how long it takes tells "
                        "an attacker how much of a forged signature is right: compare with "
                        "hmac's constant-time comparison.", look=look)


@contextlib.contextmanager
def open_httpx_clients() -> Iterator[list]:
    """Every ``httpx.AsyncClient`` made in the block; a check then asks which were never closed."""
    import httpx

    made: list = []
    original = httpx.AsyncClient.__init__

    def init(self, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    httpx.AsyncClient.__init__ = init
    try:
        yield made
    finally:
        httpx.AsyncClient.__init__ = original


# --- Celery ---------------------------------------------------------------------------------------
def _prompt_worker_class() -> type:
    """celery's in-thread test worker, made to notice messages and shutdown within 0.1 s.

    Its event loop sleeps until the broker socket is readable, up to 10 s. On RabbitMQ,
    py-amqp may already have read the next delivery into its buffer (while sending an
    ack): the socket stays quiet, the message waits out the 10 s, and so does a request to
    stop. A timer in the loop drains the connection every 0.1 s.
    """
    from celery.contrib.testing.worker import TestWorkController
    from celery.worker.loops import _quick_drain

    class PromptWorker(TestWorkController):
        def on_consumer_ready(self, consumer) -> None:
            consumer.timer.call_repeatedly(0.1, _quick_drain, (consumer.connection, 0))
            super().on_consumer_ready(consumer)

    return PromptWorker


@contextlib.contextmanager
def worker(queues: list[str]) -> Iterator[None]:
    """A real Celery worker (in a thread of this process, solo pool) consuming ``queues``."""
    from celery.contrib.testing.worker import start_worker

    from config import celery_app

    # A task the check makes fail on purpose would log its traceback under the check cell.
    quiet = [logging.getLogger(name) for name in ("celery.app.trace", "celery.worker")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=queues,
                          loglevel="WARNING", logfile=os.devnull, shutdown_timeout=20,
                          WorkController=_prompt_worker_class()):
            yield
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def purge_queue(queue: str) -> None:
    """Drop what is left in a check's own queue: a retry scheduled for later, an unrun message."""
    from config import celery_app

    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


def as_function(thing: Callable) -> Callable:
    """The plain function, whether the learner decorated it with @shared_task or not."""
    return getattr(thing, "_decorated_fun", None) or getattr(thing, "_orig_run", None) \
        or getattr(thing, "run", None) or thing


#: Task options a check's copy of the learner's task keeps (ignore_result would hide the result).
TASK_OPTIONS = ("max_retries", "default_retry_delay", "autoretry_for", "dont_autoretry_for",
                "retry_kwargs", "retry_backoff", "retry_backoff_max", "retry_jitter",
                "time_limit", "soft_time_limit", "acks_late", "reject_on_worker_lost",
                "rate_limit")


def task_for_check(thing: Callable, name: str, **overrides: Any):
    """The learner's task re-registered under ``name`` with its own options, ``bind`` included.

    A worker can only run a registered task, and a notebook's ``@shared_task`` is registered under
    the notebook's module name; the copy keeps what the learner set on the decorator (retries,
    time limits, ``bind=True``, ``max_retries=None`` too), so the check runs the task they wrote,
    not a bare function. ``overrides`` are options the check sets whatever the learner chose
    (``retry_jitter=False``, to read the textbook backoff schedule).
    """
    import inspect

    from celery import Task

    from config import celery_app

    function = as_function(thing)
    options: dict[str, Any] = {"acks_late": True}
    bind = False
    if isinstance(thing, Task):
        cls = thing.__class__  # not type(): @shared_task hands out a Proxy of the task
        unset = object()
        for option in TASK_OPTIONS:
            value = getattr(cls, option, unset)
            if value is not unset and value != getattr(Task, option, None):
                options[option] = value
        bind = not isinstance(inspect.getattr_static(cls, "run"), staticmethod)
    return celery_app.task(name=name, bind=bind, **options | overrides)(function)
