"""Count the SQL a piece of Django code runs, from a notebook as from a script.

A Jupyter kernel runs an asyncio event loop in its main thread. Libraries that pick sync or
async behaviour by looking for a running loop (strawberry-django's resolvers do) switch to async
mode there, and a synchronous GraphQL execution then fails with "execution failed to complete
synchronously". ``count_queries`` runs the code in a worker thread with no loop — the situation
a gunicorn worker is in — and counts the statements on that thread's own connection.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def count_queries(work: Callable[[], T]) -> tuple[T, list[str]]:
    """Run ``work()`` in a thread without an event loop; its result and the SQL it executed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run() -> tuple[T, list[str]]:
        try:
            with CaptureQueriesContext(connection) as captured:
                value = work()
            return value, [query["sql"] for query in captured.captured_queries]
        finally:
            connection.close()  # the thread's own connection; don't leave it open

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
