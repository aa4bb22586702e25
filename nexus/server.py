"""Run the sample project under a real HTTP server (gunicorn) for a notebook to call.

The server is a separate process, exactly like production: it reads the same environment the
notebook has (``nexus.start`` set ``DATABASE_URL`` to the notebook's own database), so rows the
notebook creates through the ORM are what the API returns.

    server = nexus.serve()                 # WSGI: config.wsgi, gunicorn's sync workers
    requests.get(server.url("/api/listings/"))
    asgi = nexus.serve(asgi=True)          # ASGI: config.asgi, gunicorn with uvicorn's workers

``asgi=True`` is what Django's deployment docs give for uvicorn under gunicorn
(``gunicorn config.asgi:application -k uvicorn_worker.UvicornWorker``): gunicorn's master
starts, watches and restarts the worker processes, and each worker runs uvicorn's event loop.
"""

from __future__ import annotations

import http.client
import sys
from pathlib import Path

from nexus.errors import NexusError
from nexus.managed import ManagedProcess, child_environment
from nexus.paths import SAMPLE_PROJECT
from nexus.proc import HOST, free_port, port_answers

__all__ = ["Server", "serve"]

#: The gunicorn worker class that serves ASGI: uvicorn's, from the ``uvicorn-worker`` package
#: (``uvicorn.workers``, its old home, is deprecated).
ASGI_WORKER_CLASS = "uvicorn_worker.UvicornWorker"

#: What :meth:`Server.serving` asks for: no view has this path, so the answer is Django's 404,
#: reached through the middleware and the URLconf without touching the database or the cache.
READY_PATH = "/.nexus-ready"


class Server(ManagedProcess):
    """A gunicorn process on a free loopback port serving ``config.wsgi``, or ``config.asgi``."""

    kind = "server"

    def __init__(self, *, workers: int | None = None, threads: int | None = None,
                 timeout: int | None = None, settings: str | None = None,
                 env: dict[str, str] | None = None,
                 config_file: str | Path | None = None, asgi: bool = False) -> None:
        if asgi and threads is not None:
            raise NexusError("server", "threads= applies to WSGI workers only: an ASGI worker "
                             "serves its requests on one event loop",
                             "leave threads out with asgi=True (workers= sets the processes)")
        self.asgi = asgi
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log = self.log_file(f"gunicorn-{self.port}")
        self.config_file = _config_path(config_file)
        application = "config.asgi:application" if asgi else "config.wsgi:application"
        argv = [
            sys.executable, "-m", "gunicorn", application,
            "--bind", f"{HOST}:{self.port}", "--chdir", str(SAMPLE_PROJECT),
            # gunicorn ≥ 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR or
            # ~/.gunicorn/gunicorn.ctl): every server the course starts would take it over.
            "--no-control-socket",
        ]
        if asgi:
            # On the command line, so it wins over a config file's worker_class.
            argv += ["--worker-class", ASGI_WORKER_CLASS]
        if self.config_file is None:
            # No config file: the course's small defaults (and the access log on stdout).
            workers, timeout = workers or 2, timeout or 30
            threads = None if asgi else threads or 1
            argv += ["--access-logfile", "-"]
        else:
            argv += ["--config", str(self.config_file)]
        # Flags given explicitly win over the config file, as on gunicorn's command line.
        for flag, value in (("--workers", workers), ("--threads", threads),
                            ("--timeout", timeout)):
            if value is not None:
                argv += [flag, str(value)]
        self.launch(
            argv, env=child_environment(env, settings=settings), ready=self.serving, timeout=30,
            failed=f"gunicorn did not start on {HOST}:{self.port}",
            fix="fix the error above in sample_project/ (`python manage.py check` shows it)",
        )

    def answers(self) -> bool:
        """True while gunicorn runs and accepts connections on its port."""
        return self.process.poll() is None and port_answers(self.port)

    def serving(self) -> bool:
        """True once a worker has answered an HTTP request.

        gunicorn's master listens before its workers have imported the project (a sync worker
        accepts only once its app is loaded), so until then a request waits in the backlog for
        a worker's whole start: on a busy machine, longer than a client's timeout. The first
        answer also loads the URLconf, which Django imports on a worker's first request.
        """
        if not self.answers():
            return False
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request("GET", READY_PATH)
            connection.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def __repr__(self) -> str:
        if self.asgi:
            return f"<gunicorn (uvicorn workers, ASGI) serving sample_project at {self.base_url}>"
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
          config_file: str | Path | None = None, asgi: bool = False) -> Server:
    """Start (or reuse) a gunicorn server for the sample project; stopped when Python exits.

    ``env`` adds or overrides environment variables for the server only, e.g.
    ``{"THROTTLE_LOGIN_RATE": "3/min"}``. Without ``config_file`` the server runs 2 workers of
    1 thread with a 30 s timeout; with one (``"gunicorn.conf.py"``, relative to sample_project/)
    the file decides, as in production, and only ``workers``/``threads``/``timeout`` given here
    override it. ``asgi=True`` serves ``config.asgi`` with uvicorn's worker class instead of
    ``config.wsgi`` with sync workers (``threads`` does not apply to it). The server always
    binds a free loopback port. Calling it again with the same arguments returns the running
    server, so re-running a cell does not start a second one.
    """
    key = (workers, threads, timeout, settings, tuple(sorted((env or {}).items())),
           str(config_file), asgi)
    return Server.reuse(key, lambda: Server(workers=workers, threads=threads, timeout=timeout,
                                            settings=settings, env=env, config_file=config_file,
                                            asgi=asgi))
