"""The request log's buffer: a Redis list the middleware appends to and a task empties.

Writing a ``RequestLog`` row inside each request would put a database round trip (and, with
autocommit, a commit: a WAL flush to disk) on the critical path of every request, and hold a
database connection for it. Instead the middleware appends one compact JSON line to a Redis list
— a single round trip, well under a millisecond — and ``tasks.flush_request_log`` moves the
lines into PostgreSQL every few seconds with one multi-row ``INSERT`` per thousand rows.

Bounded both ways, so a flush task that stops running can't fill Redis: the list keeps the
newest ``REQUEST_LOG_BUFFER_MAX`` lines (``LTRIM``), and the whole list expires a day after the
last append. Lines in it are lost if Redis loses them (restart without persistence, a
``FLUSHDB``, eviction under memory pressure): the request log is for analysis, not an audit
trail, and each request's line on stdout (``middleware.RequestLogMiddleware``) is the record
that a log pipeline keeps.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings

from ip_tracking import store

logger = logging.getLogger(__name__)

#: Seconds the buffer lives after the last append: long enough for any flush schedule.
BUFFER_TTL = 24 * 60 * 60
_last_overflow_warning = 0.0


@dataclass(frozen=True)
class LogRecord:
    """One request, as the middleware saw it (``ip`` already truncated when configured)."""

    timestamp: float  # when the request arrived, seconds since the epoch
    ip: str | None
    method: str
    path: str
    status: int
    duration_ms: int
    user_id: int | None

    def dumps(self) -> str:
        # A JSON array, not an object: the keys would be most of each line's bytes.
        return json.dumps([self.timestamp, self.ip, self.method, self.path, self.status,
                           self.duration_ms, self.user_id], separators=(",", ":"))

    @classmethod
    def loads(cls, line: bytes | str) -> LogRecord:
        """A record from a buffered line; ``ValueError`` for a line that isn't one."""
        try:
            timestamp, ip, method, path, status, duration_ms, user_id = json.loads(line)
            return cls(float(timestamp), ip, str(method), str(path), int(status),
                       int(duration_ms), None if user_id is None else int(user_id))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a request-log line: {line!r:.120}") from exc


def buffer_key() -> str:
    return f"{settings.IP_TRACKING_KEY_PREFIX}:ip_tracking:request-log"


def buffer_push(record: LogRecord) -> None:
    """Append ``record`` to the buffer: one round trip; nothing (and a warning) if Redis is down."""
    key, limit = buffer_key(), settings.REQUEST_LOG_BUFFER_MAX

    def push(client) -> int:
        # No MULTI needed: each command is atomic and none depends on another's result.
        pipeline = client.pipeline(transaction=False)
        pipeline.rpush(key, record.dumps())
        pipeline.ltrim(key, -limit, -1)  # keep the newest `limit` lines
        pipeline.expire(key, BUFFER_TTL)
        return pipeline.execute()[0]

    length = store.run("request log", push, fallback=0)
    if length > limit:
        _warn_overflow()


def buffer_take(count: int) -> list[bytes]:
    """Remove and return up to ``count`` of the oldest lines, atomically (two flushes running
    at once never take the same line)."""
    key = buffer_key()

    def take(client) -> list[bytes]:
        pipeline = client.pipeline(transaction=True)  # MULTI: read and cut as one step
        pipeline.lrange(key, 0, count - 1)
        pipeline.ltrim(key, count, -1)
        return pipeline.execute()[0]

    return store.run("request log flush", take, fallback=[])


def buffer_return(lines: list[bytes]) -> None:
    """Put taken ``lines`` back at the head of the buffer, in their order (a failed insert)."""
    if lines:
        store.run("request log flush", lambda client: client.lpush(buffer_key(), *reversed(lines)),
                  fallback=0)


def buffer_length() -> int:
    """How many lines wait in the buffer (0 while Redis is unreachable)."""
    return store.run("request log", lambda client: client.llen(buffer_key()), fallback=0)


def _warn_overflow() -> None:
    """At most one warning a minute per process: the buffer is full and drops its oldest lines."""
    global _last_overflow_warning
    now = time.monotonic()
    if now - _last_overflow_warning >= 60:
        _last_overflow_warning = now
        logger.warning("The request-log buffer is full (REQUEST_LOG_BUFFER_MAX=%d): its oldest "
                       "lines are being dropped. Is the flush task (beat + a worker) running?",
                       settings.REQUEST_LOG_BUFFER_MAX)
