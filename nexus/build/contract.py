"""What a build step's contract tests are written with (they run inside the learner's project).

A contract is a function of a :class:`Context`, registered for a step with :func:`contract`; it
raises :class:`~nexus.exercises.registry.Fail` (expected / got / hint / look) when the project
does not do what the step's brief asks. Contracts run in the probe process
(:mod:`nexus.build.probe`), where Django is set up with the learner's settings on a fresh
database of its own, so they may use the learner's models and the ORM directly, and they call
the learner's running server over HTTP with :meth:`Context.get` and friends.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus.exercises.registry import Fail

__all__ = ["Context", "Fail", "PhaseHint", "contract", "contracts_of", "describe_exception",
           "exception_frames", "learner_location", "phase_hint", "phase_hint_for"]

Contract = Callable[["Context"], None]
_CONTRACTS: dict[str, list[Contract]] = {}
_SERVED = "gunicorn serves your project (`gunicorn config.wsgi`)"
_SERVE_HINT = ("run `python manage.py check` in your project, and `gunicorn config.wsgi` to see "
               "the whole error; fix the file and line it names.")


def contract(step_id: str) -> Callable[[Contract], Contract]:
    """Decorator: the decorated function is one contract test of build step ``step_id``."""
    def register(run: Contract) -> Contract:
        _CONTRACTS.setdefault(step_id, []).append(run)
        return run
    return register


def contracts_of(step_id: str) -> list[Contract]:
    """The contract tests of ``step_id``, in the order they are defined."""
    lesson = step_id.split(".")[0]
    importlib.import_module(f"nexus.build.contracts.lesson{lesson}")
    return list(_CONTRACTS.get(step_id, []))


@dataclass(frozen=True)
class PhaseHint:
    """A teaching hint for one known way a phase (``check``, ``migrations``, ``migrate``) fails."""

    phase: str
    #: A regular expression searched in the failure's ``got`` (Django's own message).
    pattern: str
    hint: str
    look: str = ""


_PHASE_HINTS: list[PhaseHint] = []


def phase_hint(phase: str, pattern: str, *, hint: str, look: str = "") -> None:
    """When ``phase`` fails with a message matching ``pattern``, the learner reads ``hint``
    instead of the generic one: for mistakes whose Django message points elsewhere (a
    ``related_name`` for a forgotten ``AUTH_USER_MODEL``). Declared in a lesson's contracts
    module; it applies to every check, since a later step's check fails the same way."""
    _PHASE_HINTS.append(PhaseHint(phase, pattern, hint, look))


def phase_hint_for(phase: str, got: str) -> PhaseHint | None:
    """The first phase hint of any lesson that matches this failure, or ``None``."""
    import re

    package = Path(__file__).with_name("contracts")
    for module in sorted(package.glob("lesson[0-9][0-9].py")):
        importlib.import_module(f"nexus.build.contracts.{module.stem}")
    return next((h for h in _PHASE_HINTS
                 if h.phase == phase and re.search(h.pattern, got)), None)


def learner_location(tb_frames: list[tuple[str, int]], project: Path) -> str:
    """``"listings/models.py, line 12"``: the deepest frame in the learner's own files, or ""."""
    root = str(project.resolve()) + os.sep
    for filename, lineno in reversed(tb_frames):
        if not filename or filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>
            continue
        path = str((project / filename).resolve())  # relative names are the project's
        if path.startswith(root) and "site-packages" not in path:
            return f"{os.path.relpath(path, project)}, line {lineno}"
    return ""


def exception_frames(exc: BaseException) -> list[tuple[str, int]]:
    """(file, line) of each frame of ``exc``'s traceback, and of the file that does not parse."""
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
    if isinstance(exc, SyntaxError) and exc.filename:
        frames.append((exc.filename, exc.lineno or 0))
    return frames


def describe_exception(exc: BaseException, project: Path, limit: int = 300) -> str:
    """``"NameError: name 'x' is not defined (listings/models.py, line 12)"``."""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    where = learner_location(exception_frames(exc), project)
    return f"{text} ({where})" if where else text


@dataclass
class Context:
    """What a contract test gets: the project, its server and its database."""

    project: Path
    #: The learner's project served by gunicorn (``None`` for a step that needs no server).
    base_url: str | None = None
    server_log: Path | None = None
    #: Environment of the probe, for the processes a contract starts (``manage``).
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: Starts the server on first use (:class:`nexus.build.serve.ForkedServer`); returns the
    #: exception that kept it from starting, or ``None``.
    start_server: Callable[[], BaseException | None] | None = None
    _server_ready: bool = False

    # --- the learner's project as processes -----------------------------------------------------
    def manage(self, *args: str, env: Mapping[str, str] | None = None,
               drop: tuple[str, ...] = (), timeout: float = 60,
               days_ahead: float = 0) -> subprocess.CompletedProcess:
        """Run ``python manage.py ARGS`` in the project, as its own process; never raises.

        ``days_ahead``: the process's clock (``date.today()``, ``timezone.now()``) runs that many
        days ahead (:mod:`nexus.build.clock`), to show what depends on the day it runs.
        """
        from nexus.build import zygote

        environment = {k: v for k, v in self.env.items() if k not in drop}
        environment.update(env or {})
        clock = ["-m", "nexus.build.clock", str(days_ahead)] if days_ahead else []
        # Forked from the zygote that forked this probe, when there is one (nexus.build.zygote),
        # unless the clock moves: that must happen before any library is imported.
        done = zygote.run([*clock, "manage.py", *args], cwd=self.project, env=environment,
                          timeout=timeout, start=False, fork=not clock)
        if done.timed_out:
            raise subprocess.TimeoutExpired(["manage.py", *args], timeout)
        return subprocess.CompletedProcess(["manage.py", *args], done.returncode, done.stdout,
                                           done.stderr)

    def read_settings(self, names: list[str], *, env: Mapping[str, str] | None = None,
                      drop: tuple[str, ...] = ()) -> dict[str, Any]:
        """Values of settings ``names`` as a separate ``manage.py shell`` process sees them.

        Returns ``{"ok": True, "values": {...}}``, or ``{"ok": False, "error": "…"}`` with the
        last line of the error and where in the project it happened.
        """
        code = ("import json; from django.conf import settings; "
                f"print('@@' + json.dumps({{n: repr(getattr(settings, n, None)) "
                f"for n in {names!r}}}))")
        # --no-imports: Django 5.2's shell would import every model first, for nothing here.
        done = self.manage("shell", "--no-imports", "-c", code, env=env, drop=drop)
        for line in done.stdout.splitlines():
            if line.startswith("@@"):
                return {"ok": True, "values": json.loads(line[2:])}
        return {"ok": False, "error": self.error_of(done.stderr or done.stdout)}

    def error_of(self, output: str) -> str:
        """``"ImproperlyConfigured: … (config/settings/base.py, line 9)"`` from a traceback."""
        import re

        frames = [(f, int(n)) for f, n in re.findall(r'File "([^"]+)", line (\d+)', output)]
        lines = [line for line in output.strip().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "(no output)"
        where = learner_location(frames, self.project)
        return f"{last} ({where})" if where else last

    # --- HTTP ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on the learner's running server (waits until it answers)."""
        self._wait_for_server()
        assert self.base_url is not None
        return self.base_url + path

    def request(self, method: str, path: str, **kwargs: Any):
        """``requests.request`` against the learner's server (30 s timeout unless given)."""
        import requests

        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.request("POST", path, **kwargs)

    def _wait_for_server(self, timeout: float = 30) -> None:
        if self._server_ready:
            return
        if self.base_url is None:
            raise RuntimeError("this step's contracts call HTTP but it was declared server=False")
        if self.start_server is not None:
            error, self.start_server = self.start_server(), None
            if error is not None:
                raise Fail(expected=_SERVED,
                           got=f"it did not start: {describe_exception(error, self.project)}",
                           hint=_SERVE_HINT)
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.base_url + "/", timeout=5)
            except requests.ConnectionError:
                if self._server_died():
                    break
                time.sleep(0.1)
                continue
            self._server_ready = True
            return
        raise Fail(expected=_SERVED, got="it did not start" + self.server_error(),
                   hint=_SERVE_HINT)

    def _server_died(self) -> bool:
        log = self._server_log_text()
        return "Worker failed to boot" in log or "Shutting down: Master" in log

    def _server_log_text(self) -> str:
        if self.server_log is None:
            return ""
        try:
            return self.server_log.read_text(errors="replace")
        except OSError:
            return ""

    def server_error(self) -> str:
        """``": ImportError: … (config/wsgi.py, line 9)"`` from gunicorn's log, if it says."""
        import re

        log = self._server_log_text()
        errors = [line.strip() for line in log.splitlines()
                  if re.match(r"^\w+(\.\w+)*(Error|Exception|Improperly\w+): ", line.strip())]
        if not errors:
            return ""
        frames = [(f, int(n)) for f, n in re.findall(r'File "([^"]+)", line (\d+)', log)]
        where = learner_location(frames, self.project)
        return f": {errors[-1]}" + (f" ({where})" if where else "")
