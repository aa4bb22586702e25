"""gunicorn serving the learner's project, forked from the probe once Django is set up.

The probe (:mod:`nexus.build.probe`) has imported the project, checked it and migrated its
database; a second process that imported all of it again only to serve it would double the
check's cost. So the first contract that needs HTTP forks the probe: the child runs gunicorn's
own command line (``gunicorn config.wsgi:application --bind … --workers 1 --threads 4``, with the
project's ``gunicorn.conf.py`` if it has one, exactly as ``python -m gunicorn`` would), and its
worker finds ``config.wsgi`` already imported. The project is still served by gunicorn, as its
own processes, and the probe talks to it over HTTP only.

Before the fork the probe closes its database connections (a socket must not be shared between
processes). The server's output goes to the log file the contracts read errors from. The probe
stops it when the contracts are done; the check runs the probe in a session of its own and ends
the whole session afterwards, so nothing outlives a probe that crashed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from nexus.build.project import PACKAGE


class ForkedServer:
    """gunicorn on ``base_url``'s port, serving ``config.wsgi`` of the project set up here."""

    def __init__(self, base_url: str, log: Path) -> None:
        self.base_url = base_url
        self.log = log
        self.pid: int | None = None

    def start(self) -> BaseException | None:
        """Import the project's WSGI module and fork gunicorn; the import's error, if any."""
        try:
            importlib.import_module(f"{PACKAGE}.wsgi")
        except Exception as exc:  # the learner's wsgi.py (or what it imports) fails
            return exc
        from django.db import connections

        connections.close_all()
        self.log.write_text("")  # the contracts read this run's errors only
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: gunicorn's master, until it is told to stop
            code = 1
            try:
                self._become_gunicorn()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self.pid = pid
        return None

    def _become_gunicorn(self) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        address = urlsplit(self.base_url)
        sys.argv = ["gunicorn", f"{PACKAGE}.wsgi:application",
                    "--bind", f"{address.hostname}:{address.port}",
                    "--workers", "1", "--threads", "4", "--timeout", "60",
                    "--no-control-socket"]  # one path per user: checks side by side would share it
        from gunicorn.app.wsgiapp import run

        run()

    def stop(self, timeout: float = 10) -> None:
        """Stop gunicorn and wait for it (SIGKILL after ``timeout`` seconds).

        SIGQUIT is gunicorn's quick shutdown; SIGTERM, the graceful one, waits for the worker's
        open keep-alive connections and costs a check seconds for nothing.
        """
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    time.sleep(0.05)
                    continue
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
