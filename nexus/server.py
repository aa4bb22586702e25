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
from nexus.proc import (
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

    def __init__(self, *, workers: int | None = None, threads: int | None = None,
                 timeout: int | None = None, settings: str | None = None,
                 env: dict[str, str] | None = None,
                 config_file: str | Path | None = None) -> None:
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
        self.config_file = _config_path(config_file)
        argv = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{HOST}:{self.port}", "--chdir", str(SAMPLE_PROJECT),
        ]
        if self.config_file is None:
            # No config file: the course's small defaults (and the access log on stdout).
            workers, threads, timeout = workers or 2, threads or 1, timeout or 30
            argv += ["--access-logfile", "-"]
        else:
            argv += ["--config", str(self.config_file)]
        # Flags given explicitly win over the config file, as on gunicorn's command line.
        for flag, value in (("--workers", workers), ("--threads", threads),
                            ("--timeout", timeout)):
            if value is not None:
                argv += [flag, str(value)]
        self.process = spawn_daemon(argv, self.log, tethered=True, env=environment)
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


def _config_path(config_file: str | Path | None) -> Path | None:
    """``config_file`` as an absolute path; a relative one is relative to ``sample_project/``."""
    if config_file is None:
        return None
    path = Path(config_file)
    path = path if path.is_absolute() else SAMPLE_PROJECT / path
    if not path.is_file():
        raise NexusError("server", f"no gunicorn config file at {path}",
                         'pass a path inside sample_project/, e.g. config_file="gunicorn.conf.py"')
    return path


def serve(*, workers: int | None = None, threads: int | None = None, timeout: int | None = None,
          settings: str | None = None, env: dict[str, str] | None = None,
          config_file: str | Path | None = None) -> Server:
    """Start (or reuse) a gunicorn server for the sample project; stopped when Python exits.

    ``env`` adds or overrides environment variables for the server only, e.g.
    ``{"THROTTLE_LOGIN_RATE": "3/min"}``. Without ``config_file`` the server runs 2 workers of
    1 thread with a 30 s timeout; with one (``"gunicorn.conf.py"``, relative to sample_project/)
    the file decides, as in production, and only ``workers``/``threads``/``timeout`` given here
    override it. The server always binds a free loopback port. Calling it again with the same
    arguments returns the running server, so re-running a cell does not start a second one.
    """
    key = (workers, threads, timeout, settings, tuple(sorted((env or {}).items())),
           str(config_file))
    running = _RUNNING.get(key)
    if running is not None and running.process.poll() is None and port_answers(running.port):
        return running
    server = Server(workers=workers, threads=threads, timeout=timeout, settings=settings, env=env,
                    config_file=config_file)
    _RUNNING[key] = server
    return server
