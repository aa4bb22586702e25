"""The one door to Redis for ip_tracking's shared state: rate counters and the request log's
buffer, which must be shared by every worker and server, so they live in the project's Redis
cache (``config.cache.ResilientRedisCache``), reached through its ``run()``.

With any other cache backend (``DummyCache`` in a test settings file, ``LocMemCache``, which
is per process) there is nowhere to share them: the rate limit counts nothing and the request
log keeps nothing, as during a Redis outage, and ``manage.py check`` says so
(``ip_tracking.W001``) instead of every request failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

T = TypeVar("T")


def shared() -> bool:
    """True if the default cache is the project's Redis cache (it has ``run()``)."""
    return callable(getattr(cache, "run", None))


def run(operation: str, commands: Callable[[Any], T], *, fallback: T) -> T:
    """``commands(client)`` on the cache's Redis; ``fallback`` while Redis is unreachable or the
    cache is not Redis at all. ``operation`` names the work in the cache's outage warning."""
    if not shared():
        return fallback
    return cache.run(operation, commands, fallback=fallback)
