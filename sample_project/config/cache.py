"""The project's cache: a backend that survives Redis outages, and generation counters.

**The backend** is Django's RedisCache, except that an unreachable Redis is a cache miss.

A cache holds copies. Losing it must make the site slower, never make it fail: with the stock
backend, every ``cache.get`` raises ``ConnectionError`` while Redis is down, so each cached
view (and DRF's throttling, which counts requests in the cache) answers 500. This subclass
does what django-redis calls ``IGNORE_EXCEPTIONS``: when Redis can't be reached, reads
return the default (a miss), writes are skipped, a warning is logged — and the request goes
on to the database. Short socket timeouts keep a dead or unreachable Redis down to a few
milliseconds per request instead of a hung worker.

Only *connection* failures are swallowed. Any other Redis error (a wrong key type, an
out-of-memory refusal) is a bug to see, so it still raises.

**Raw commands** (:meth:`ResilientRedisCache.run`): what Django's cache API has no word for — a
list used as a queue, a counter and its expiry set in one transaction — runs on the same client
and connection pool, under the same rule: while Redis is unreachable it returns a fallback, and
the outage is logged once with the cache's own (``ip_tracking`` counts requests and buffers
its request log this way).

**Generations** (:class:`Generation`) are how the apps invalidate: a cache key contains a
counter's current value, and a write increments the counter once its transaction commits, so
every key built before is never read again (listings/cache.py, wishlists/cache.py).

https://docs.djangoproject.com/en/5.2/topics/cache/#redis
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: What "Redis is unreachable" looks like to redis-py.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

#: Seconds to wait for a connection and for a reply. Redis answers in well under a millisecond
#: on a healthy network; a server that takes longer than this is treated as down.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}

# Outage state per Redis location, shared by every thread of the process (Django gives each
# thread its own backend instance), so an outage is logged once when it starts and once when
# it ends, not once per cache call.
_outages: dict[str, int] = {}
_outages_lock = threading.Lock()


def _fail_open(fallback: Callable[..., Any]) -> Callable:
    """Decorate a cache method: on a connection failure, log it and return ``fallback(...)``."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                self._record_failure(method.__name__, exc)
                return fallback(*args, **kwargs)
            self._record_success()
            return result

        return wrapper

    return decorate


def _default(key: str, default: Any = None, version: int | None = None) -> Any:
    return default


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _empty(*args: Any, **kwargs: Any) -> dict:
    return {}


def _nothing_stored(data: dict, *args: Any, **kwargs: Any) -> list:
    return list(data)  # set_many's contract: the keys that could not be stored


def _missing(key: str, *args: Any, **kwargs: Any) -> int:
    # incr/decr of a key the cache doesn't have raises ValueError in every Django backend.
    raise ValueError(f"Key {key!r} not found (the cache is unreachable)")


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one ``redis.Redis`` per server instead of one per call,
    and storing many keys with one ``SET … EX`` each.

    Django builds a new ``redis.Redis`` around the shared connection pool for every cache
    operation; with redis-py 8 each costs ~0.1 ms of Python (it rebuilds its table of reply
    parsers), more than the Redis round trip itself. The client holds no connection of its
    own — the pool does — so one per server is safe to reuse.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._redis_clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options)
            client = self._redis_clients[index] = self._client(connection_pool=self._pools[index])
        return client

    def set_many(self, data: dict[Any, Any], timeout: int | None) -> None:
        # Django pipelines one MSET (which takes no expiry) and an EXPIRE per key, and
        # redis-py's pipelines are transactions by default: MULTI … EXEC, 23 commands for a
        # page of 20 cards. SET with EX stores a key and its expiry in one command, so no
        # key can outlive a failure between the two, and the pipeline needs no transaction:
        # 20 commands, still one round trip.
        if timeout == 0:  # what Django's set_many does with 0: the keys are gone
            self.delete_many(list(data))
            return
        pipeline = self.get_client(None, write=True).pipeline(transaction=False)
        for key, value in data.items():
            pipeline.set(key, self._serializer.dumps(value), ex=timeout)  # None: no expiry
        pipeline.execute()


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that degrades to "no cache" while Redis is unreachable, and logs it."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        # OPTIONS from settings win over the defaults.
        self._options = {**DEFAULT_OPTIONS, **self._options}

    # --- the outage log ----------------------------------------------------------------------
    @property
    def _where(self) -> str:
        return ",".join(self._servers)

    def _record_failure(self, operation: str, exc: Exception) -> None:
        with _outages_lock:
            failures = _outages.get(self._where, 0)
            _outages[self._where] = failures + 1
        if failures == 0:
            logger.warning(
                "Cache unavailable (%s during %s: %s); serving without the cache until "
                "Redis is back.", type(exc).__name__, operation, exc,
            )

    def _record_success(self) -> None:
        if not _outages:  # the common case: no outage, no lock
            return
        with _outages_lock:
            failures = _outages.pop(self._where, 0)
        if failures:
            logger.warning("Cache reachable again after %d failed cache calls.", failures)

    # --- raw Redis commands, failing open ------------------------------------------------------
    def redis_client(self) -> Any:
        """The ``redis.Redis`` this cache writes with: its connection pool, its timeouts.

        Keys written through it get no ``KEY_PREFIX`` and no version: the caller names them.
        """
        return self._cache.get_client(None, write=True)

    def run(self, operation: str, commands: Callable[[Any], T], *, fallback: T) -> T:
        """``commands(client)`` on this cache's Redis; ``fallback`` while Redis is unreachable.

        ``operation`` names the work in the outage warning ("Cache unavailable (… during
        <operation> …)"). As for every cache call, only connection failures and timeouts fail
        open; any other Redis error raises.
        """
        try:
            result = commands(self.redis_client())
        except UNREACHABLE as exc:
            self._record_failure(operation, exc)
            return fallback
        self._record_success()
        return result

    # --- every public operation, failing open -------------------------------------------------
    add = _fail_open(_false)(RedisCache.add)
    get = _fail_open(_default)(RedisCache.get)
    set = _fail_open(_none)(RedisCache.set)
    touch = _fail_open(_false)(RedisCache.touch)
    delete = _fail_open(_false)(RedisCache.delete)
    get_many = _fail_open(_empty)(RedisCache.get_many)
    has_key = _fail_open(_false)(RedisCache.has_key)
    incr = _fail_open(_missing)(RedisCache.incr)
    set_many = _fail_open(_nothing_stored)(RedisCache.set_many)
    delete_many = _fail_open(_none)(RedisCache.delete_many)
    clear = _fail_open(_false)(RedisCache.clear)


# --- generations: invalidation without deleting keys ---------------------------------------------
class Generation:
    """A counter in the cache that keys contain: bumping it makes every such key stale at once.

    Nothing is deleted (some keys, like ``cache_page``'s, are hashes nobody can rebuild): after
    a bump every key is new, and the old entries expire on their own.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    @staticmethod
    def _fresh() -> int:
        # Milliseconds since the epoch: if the counter is ever lost (evicted, flushed), it comes
        # back larger than any value it had, so keys from before can never be read again.
        return time.time_ns() // 1_000_000

    def current(self) -> int:
        """The counter's value now; 0 only while Redis is unreachable."""
        value = cache.get(self.key)
        if value is None:
            # add(): of two first requests, one stores its value and both then read the same.
            cache.add(self.key, self._fresh(), timeout=None)
            value = cache.get(self.key, 0)
        return value

    def bump(self) -> None:
        """Make every key built from the current value stale: the next read computes afresh."""
        try:
            cache.incr(self.key)  # atomic in Redis: concurrent writers never lose a bump
        except ValueError:  # no counter yet (or Redis unreachable): start a new, larger one
            cache.add(self.key, self._fresh(), timeout=None)

    def bump_on_commit(self, *, using: str | None = None) -> None:
        """Bump once the current transaction commits (at once outside one); once per commit.

        Invalidating inside the transaction would let a concurrent request read the old row
        (the new one isn't committed yet) and cache it under the new value. Each call hands
        ``transaction.on_commit`` a callback, but the callbacks share one :class:`_PendingBump`
        until it runs, so a commit that changed a thousand rows bumps once. The rest is
        ``on_commit``'s documented behaviour: a rollback (of the transaction, or of a savepoint
        around the call) discards the callbacks, and the shared bump waits for the next commit.
        """
        pending = _pending_bumps()
        bump = pending.get((using, self.key))
        if bump is None:
            bump = pending[(using, self.key)] = _PendingBump(self, using)
        transaction.on_commit(bump, using=using)


class _PendingBump:
    """One bump shared by the on-commit callbacks of a transaction: the first to run bumps."""

    def __init__(self, generation: Generation, using: str | None) -> None:
        self.generation = generation
        self.using = using
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        pending = _pending_bumps()
        if pending.get((self.using, self.generation.key)) is self:
            del pending[(self.using, self.generation.key)]
        self.generation.bump()


# Per thread, like Django's database connections (and so their transactions).
_local = threading.local()


def _pending_bumps() -> dict[tuple[str | None, str], _PendingBump]:
    if not hasattr(_local, "bumps"):
        _local.bumps = {}
    return _local.bumps
