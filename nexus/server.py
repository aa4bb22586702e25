"""Run the sample project under a real HTTP server (gunicorn) for a notebook to call.

The server is a separate process, exactly like production: it reads the same environment the
notebook has (``nexus.start`` set ``DATABASE_URL`` to the notebook's own database), so rows the
notebook creates through the ORM are what the API returns.

    server = nexus.serve()
    requests.get(server.url("/api/listings/"))
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

from nexus.errors import NexusError
from nexus.paths import SAMPLE_PROJECT, state_dir
from nexus.services.base import (
    HOST,
    free_port,
    log_tail,
    port_answers,
    spawn_daemon,
    terminate,
    wait_until,
)

_RUNNING: dict[tuple, Server] = {}


class Server:
    """A gunicorn process serving ``config.wsgi`` on a free loopback port."""

    def __init__(self, *, workers: int = 2, threads: int = 1, timeout: int = 30,
                 settings: str | None = None, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log = state_dir() / "server" / f"gunicorn-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        environment = dict(os.environ)
        # Only a notebook's event loop needs this; a gunicorn worker must keep Django's guard.
        environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if settings:
            environment["DJANGO_SETTINGS_MODULE"] = settings
        environment.update(env or {})
        argv = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--workers", str(workers),
            "--threads", str(threads), "--timeout", str(timeout),
            "--chdir", str(SAMPLE_PROJECT), "--access-logfile", "-",
        ]
        self.process = spawn_daemon(argv, self.log, env=environment)
        if not wait_until(lambda: self.process.poll() is None and port_answers(self.port), 30):
            self.stop()
            raise NexusError(
                "server", f"gunicorn did not start on {HOST}:{self.port}; its log says:\n    "
                + log_tail(self.log, 8),
                "fix the error above in sample_project/ (`python manage.py check` shows it)",
            )
        atexit.register(self.stop)

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    @property
    def log_path(self) -> Path:
        return self.log

    def stop(self) -> None:
        """Stop gunicorn (its master stops the workers)."""
        terminate(self.process.pid)
        self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<gunicorn serving sample_project at {self.base_url}>"


def serve(*, workers: int = 2, threads: int = 1, timeout: int = 30,
          settings: str | None = None, env: dict[str, str] | None = None) -> Server:
    """Start (or reuse) a gunicorn server for the sample project; stopped when Python exits.

    ``env`` adds or overrides environment variables for the server only, e.g.
    ``{"THROTTLE_LOGIN_RATE": "3/min"}``. Calling it again with the same arguments returns the
    running server, so re-running a cell does not start a second one.
    """
    key = (workers, threads, timeout, settings, tuple(sorted((env or {}).items())))
    running = _RUNNING.get(key)
    if running is not None and running.process.poll() is None and port_answers(running.port):
        return running
    server = Server(workers=workers, threads=threads, timeout=timeout, settings=settings, env=env)
    _RUNNING[key] = server
    return server
