"""Redis helpers for the caching lesson: hit ratios read correctly, and a Redis of your own.

    with nexus.hit_ratio(client) as counted:
        ...requests...
    print(counted)                     # hits 19 · misses 1 · hit ratio 95.0%

    spare = nexus.private_redis()      # a real redis-server on a free port, only yours
    spare.stop(); spare.start()        # a real outage and a real recovery, same port

``INFO stats`` counts ``keyspace_hits`` and ``keyspace_misses`` since the server started, for
every client and every database: the ratio of those totals describes the server's whole life,
not your code. Read them twice and divide the *differences*; on a server nobody else uses
(``private_redis``) the differences are exactly your requests'.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import redis

from nexus.errors import NexusError
from nexus.proc import HOST, free_port, log_tail, spawn_daemon, terminate, wait_until
from nexus.services.redis import CACHE_DB, SERVICE

__all__ = ["Keyspace", "PrivateRedis", "hit_ratio", "keyspace", "private_redis"]


@dataclass(frozen=True)
class Keyspace:
    """Keyspace lookups counted by a Redis server: hits (key found) and misses."""

    hits: int = 0
    misses: int = 0

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def ratio(self) -> float | None:
        """hits / lookups, or ``None`` when there were no lookups."""
        return self.hits / self.lookups if self.lookups else None

    def __sub__(self, earlier: Keyspace) -> Keyspace:
        return Keyspace(self.hits - earlier.hits, self.misses - earlier.misses)

    def __str__(self) -> str:
        ratio = "-" if self.ratio is None else f"{self.ratio:.1%}"
        return f"hits {self.hits} · misses {self.misses} · hit ratio {ratio}"


def keyspace(client: redis.Redis) -> Keyspace:
    """The server's keyspace counters since it started (``INFO stats``)."""
    stats = client.info("stats")
    return Keyspace(stats["keyspace_hits"], stats["keyspace_misses"])


class hit_ratio:  # lower case: used like a function, `with nexus.hit_ratio(client) as c`
    """Context manager: the hits and misses that happened on ``client``'s server inside it.

    The result (a :class:`Keyspace`) is filled in when the block ends; its counts are the
    difference between a reading before and one after.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.before = Keyspace()
        self.counted = Keyspace()

    def __enter__(self) -> hit_ratio:
        self.before = keyspace(self.client)
        return self

    def __exit__(self, *exc: object) -> None:
        self.counted = keyspace(self.client) - self.before

    hits = property(lambda self: self.counted.hits)
    misses = property(lambda self: self.counted.misses)
    ratio = property(lambda self: self.counted.ratio)

    def __str__(self) -> str:
        return str(self.counted)


class PrivateRedis:
    """A Redis server (the course's own program) on a free loopback port, in a folder of its own.

    Nothing else uses it, so it can be stopped and restarted — a real outage — without
    disturbing the course's Redis, which other notebooks, tests and workers share. It keeps
    its port across ``stop()`` / ``start()``. By default it keeps no data: a restarted cache
    starts empty, as a cache may. ``persistent=True`` turns on the append-only file, as for the
    course's own Redis: a broker restarted that way still holds the messages it was queueing.
    """

    def __init__(self, home: Path | None = None, *, persistent: bool = False) -> None:
        self._own_home = home is None
        self.home = Path(home or tempfile.mkdtemp(prefix="nexus-redis-"))
        self.home.mkdir(parents=True, exist_ok=True)
        self.persistent = persistent
        self.port = free_port()
        self.process = None
        self.start()
        atexit.register(self.close)

    def start(self) -> None:
        """Start the server (again) on its port; returns once it answers PING."""
        if self.running:
            return
        config = self.home / "redis.conf"
        config.write_text("\n".join([
            f"bind {HOST}", f"port {self.port}", "protected-mode yes", f'dir "{self.home}"',
            "daemonize no", "databases 16", 'save ""',
            *(["appendonly yes", "appendfsync everysec"] if self.persistent else ["appendonly no"]),
            "",
        ]))
        log = self.home / "redis.log"
        self.process = spawn_daemon([SERVICE._executable(), str(config)], log)
        if not wait_until(self._answers, 15):
            raise NexusError("redis", f"a private redis-server did not start on port {self.port}:"
                             "\n    " + log_tail(log), f"read {log}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, as an orchestrator would); its port stays reserved for it."""
        if self.process is not None:
            terminate(self.process.pid)
            self.process.wait(timeout=10)
            self.process = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash or the OOM killer would: no goodbye, no final write."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def close(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        if self._own_home:
            shutil.rmtree(self.home, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, db: int = CACHE_DB) -> str:
        """``redis://127.0.0.1:<port>/<db>``."""
        return f"redis://{HOST}:{self.port}/{db}"

    def client(self, db: int = CACHE_DB) -> redis.Redis:
        """A redis-py client for database ``db`` (strings decoded)."""
        return redis.Redis.from_url(self.url(db), decode_responses=True, socket_timeout=2)

    def _answers(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            return bool(redis.Redis(host=HOST, port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def __enter__(self) -> PrivateRedis:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<private redis-server at {HOST}:{self.port}, {state}>"


def private_redis(home: Path | None = None, *, persistent: bool = False) -> PrivateRedis:
    """Start a redis-server of your own (see :class:`PrivateRedis`); stopped when Python exits."""
    return PrivateRedis(home, persistent=persistent)
