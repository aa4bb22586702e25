"""Count the SQL a piece of Django code runs, from a notebook as from a script.

    with nexus.captured_sql() as sql:         # this thread's connection
        list(Listing.objects.all()[:3])
    len(sql), sql[0]

A Jupyter kernel runs an asyncio event loop in its main thread. Libraries that pick sync or
async behaviour by looking for a running loop (strawberry-django's resolvers do) switch to async
mode there, and a synchronous GraphQL execution then fails with "execution failed to complete
synchronously". ``count_queries`` runs the code in a worker thread with no loop — the situation
a gunicorn worker is in — and counts the statements on that thread's own connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["captured_sql", "count_queries"]

T = TypeVar("T")


@contextlib.contextmanager
def captured_sql() -> Iterator[list[str]]:
    """The SQL statements this thread's Django connection runs inside the block.

    The list is filled when the block ends. Works with ``DEBUG=False`` (Django's
    ``CaptureQueriesContext`` turns on recording for the block).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield statements
    statements.extend(query["sql"] for query in captured.captured_queries)


def count_queries(work: Callable[[], T]) -> tuple[T, list[str]]:
    """Run ``work()`` in a thread without an event loop; its result and the SQL it executed."""
    from django.db import connection

    def run() -> tuple[T, list[str]]:
        try:
            with captured_sql() as statements:
                value = work()
            return value, statements
        finally:
            connection.close()  # the thread's own connection; don't leave it open

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
