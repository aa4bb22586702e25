"""Processes a notebook or a test starts for itself: the base of ``nexus.serve()`` and
``nexus.worker()``.

A managed process runs the sample project (gunicorn, a Celery worker) with the caller's
environment, belongs to the Python that started it (tethered: it dies with it, even on SIGKILL;
stopped at exit; a context manager), logs to ``.nexus/<kind>/``, and is reused when asked for
again with the same arguments, so re-running a notebook cell does not start a second one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Self, TypeVar

from nexus.errors import NexusError
from nexus.paths import SETTINGS_MODULE, state_dir
from nexus.proc import log_tail, pid_alive, spawn_daemon, wait_until

__all__ = ["ManagedProcess", "child_environment"]

P = TypeVar("P", bound="ManagedProcess")

_RUNNING: dict[tuple, ManagedProcess] = {}


def child_environment(env: Mapping[str, str] | None = None, *,
                      settings: str | None = None) -> dict[str, str]:
    """The environment of a sample-project process the toolkit starts (server, worker, manage.py).

    This process's variables, Django's settings module (``settings``, else the one already set,
    else :data:`~nexus.paths.SETTINGS_MODULE`), then ``env`` on top.
    """
    environment = dict(os.environ)
    # Only a notebook's event loop needs this; a server or worker must keep Django's guard.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if settings:
        environment["DJANGO_SETTINGS_MODULE"] = settings
    environment.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    environment.update(env or {})
    return environment


class ManagedProcess:
    """A tethered child process with a log under ``.nexus/<kind>/``, stopped when Python exits.

    A subclass builds its command and calls :meth:`launch` with a readiness check; it may
    override :meth:`answers` (is it serving?) and :meth:`stop`.
    """

    #: What it is called in messages; also its log folder under ``.nexus/``.
    kind: str = ""
    #: Seconds :meth:`stop` waits for a graceful exit before SIGKILL.
    stop_timeout: float = 10

    process: subprocess.Popen
    log: Path

    @classmethod
    def reuse(cls: type[P], key: Hashable, start: Callable[[], P]) -> P:
        """The running process started with the same ``key`` (its arguments), else ``start()``."""
        running = _RUNNING.get((cls, key))
        if isinstance(running, cls) and running.answers():
            return running
        started = start()
        _RUNNING[(cls, key)] = started
        return started

    def log_file(self, name: str) -> Path:
        """``.nexus/<kind>/<name>.log`` (its folder created)."""
        log = state_dir() / self.kind / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        return log

    def launch(self, argv: Sequence[str], *, env: Mapping[str, str], ready: Callable[[], object],
               timeout: float, failed: str, fix: str, interval: float = 0.05,
               cwd: Path | None = None) -> None:
        """Start ``argv`` tethered and wait until ``ready()``; on time out kill it and raise.

        ``failed`` says what did not happen ("gunicorn did not start on …"), ``fix`` what to do;
        the error adds the end of the log.
        """
        self.process = spawn_daemon(argv, self.log, tethered=True, cwd=cwd, env=dict(env))
        if not wait_until(ready, timeout, interval=interval):
            self.kill()
            raise NexusError(self.kind, f"{failed}; its log says:\n    " + log_tail(self.log, 8),
                             fix)
        atexit.register(self.stop)

    # --- state --------------------------------------------------------------------------------
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None and pid_alive(self.process.pid)

    def answers(self) -> bool:
        """True while it runs and serves (a subclass says how it is asked); here: it runs."""
        return self.alive()

    @property
    def log_path(self) -> Path:
        return self.log

    # --- ending -------------------------------------------------------------------------------
    def kill(self) -> None:
        """SIGKILL the process and its children at once, as a crash or the OOM killer would."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: pid is the group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM and wait (``stop_timeout`` s by default), then SIGKILL what is left."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=self.stop_timeout if timeout is None else timeout)
        # Children of a process that died abruptly (or would not go) would otherwise linger.
        self.kill()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
