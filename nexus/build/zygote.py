"""A fork server for the learner's project processes: Python started once, forked per process.

Every build check starts the learner's project as processes of its own: the probe
(:mod:`nexus.build.probe`) and the ``manage.py`` commands its contracts run. Each would pay again
for importing Django, DRF, strawberry, psycopg… (about 0.7 s of CPU on this kind of machine)
before importing a line of the learner's code. The zygote is one Python process that imports
those libraries once, **without any settings** (``DJANGO_SETTINGS_MODULE`` unset: a module that
reads settings while it is imported fails to import here and is simply left for the child), then
forks a child per command. The child changes to the project folder, takes the environment it
was given, and runs the command as ``python -m module``, ``python script.py`` or ``python -c
code`` would: ``__main__``, ``sys.argv`` and ``sys.path`` as the interpreter sets them (the
folder first, then the entries of the given ``PYTHONPATH``). It is
still a process of its own: nothing of the caller (a notebook kernel, pytest) is in it, and its
output goes to a file the caller reads.

The protocol is one JSON line per request on a Unix socket, answered with ``{"pid": …}`` when
the child started and ``{"exit": code}`` when it ended. The zygote is single-threaded (it waits
for children and requests with ``select``) so forking it is safe, and it exits when the process
that started it is gone. Where it can't start (no ``fork``: Windows), or with
``NEXUS_NO_ZYGOTE=1`` in the environment, :func:`run` starts each command with ``subprocess``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Imported once in the zygote: libraries only, each seen to import without settings.
#: (``rest_framework.views`` and simplejwt's views read ``REST_FRAMEWORK`` on import: not here.)
PRELOAD = (
    "django.db.models", "django.core.management", "django.core.checks", "django.urls",
    "django.http", "django.test", "django.template", "django.forms", "django.contrib.admin",
    "django.contrib.postgres.fields", "django.db.backends.postgresql.base",
    "django.contrib.staticfiles.handlers", "psycopg", "environ", "requests", "redis", "jwt",
    "yaml", "gunicorn.app.wsgiapp", "graphql", "strawberry", "strawberry_django",
    "strawberry_django.optimizer", "rest_framework.serializers", "django_filters.rest_framework",
    "whitenoise.middleware", "celery.app",
)
#: Where a probe finds the zygote that forked it, to fork its ``manage.py`` siblings.
SOCKET_ARG = "--zygote"


@dataclass(frozen=True)
class Finished:
    """What a command run by :func:`run` left: its exit code and its output."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


# --- the zygote itself ----------------------------------------------------------------------------
def _preload() -> None:
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    for name in PRELOAD:
        with contextlib.suppress(Exception):
            __import__(name)


def _child(request: dict) -> None:
    """In the forked child: become ``request``'s command (never returns)."""
    code = 1
    try:
        os.setsid()  # a session of its own: the caller ends it, and what it starts, as one
        for fd, name in ((1, "stdout"), (2, "stderr")):
            out = os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, fd)
            os.close(out)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        argv = request["argv"]
        import runpy

        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            _set_path(os.getcwd())
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]
            _set_path("")  # `python -c` looks in the current folder first
            main = sys.modules["__main__"]
            for name in [name for name in vars(main) if not name.startswith("__")]:
                delattr(main, name)  # the zygote's own names are not the command's
            exec(compile(argv[1], "<string>", "exec"), vars(main))
        else:
            script = os.path.abspath(argv[0])
            sys.argv = [script, *argv[1:]]
            _set_path(os.path.dirname(script))
            runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


#: The zygote's own PYTHONPATH entries, which a child started with another environment lacks.
_OWN_PYTHONPATH: list[str] = []


def _entries(pythonpath: str) -> list[str]:
    return [os.path.abspath(entry) for entry in pythonpath.split(os.pathsep) if entry]


def _set_path(first: str) -> None:
    """``sys.path`` as a new interpreter with this environment would have it: ``first``, the
    entries of ``PYTHONPATH``, then the interpreter's own (standard library, site-packages)."""
    inherited = [entry for entry in sys.path[1:] if entry not in _OWN_PYTHONPATH]
    sys.path[:] = [first, *_entries(os.environ.get("PYTHONPATH", "")), *inherited]


def serve(path: str, parent: int) -> None:
    """Listen on the Unix socket ``path`` and fork a child per request, until ``parent`` dies."""
    _OWN_PYTHONPATH[:] = _entries(os.environ.get("PYTHONPATH", ""))
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    waiting: dict[int, socket.socket] = {}  # child pid -> the connection that asked for it
    buffers: dict[socket.socket, bytes] = {}
    while os.getppid() == parent:
        readable, _, _ = select.select([listener, *buffers], [], [], 0.05)
        for ready in readable:
            if ready is listener:
                connection, _ = listener.accept()
                buffers[connection] = b""
                continue
            data = ready.recv(65536)
            if not data:
                buffers.pop(ready).close()
                continue
            buffers[ready] += data
            if b"\n" not in buffers[ready]:
                continue
            request = json.loads(buffers.pop(ready).split(b"\n", 1)[0])
            pid = os.fork()
            if pid == 0:
                listener.close()
                for other in [*buffers, *waiting.values(), ready]:
                    with contextlib.suppress(OSError):
                        other.close()
                _child(request)
            ready.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            waiting[pid] = ready
        while waiting:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            connection = waiting.pop(pid, None)
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.sendall(json.dumps(
                        {"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                    connection.close()


# --- the caller's side ----------------------------------------------------------------------------
class Zygote:
    """A zygote (ours, or one a parent started) and how to ask it for a child."""

    def __init__(self, path: str, process: subprocess.Popen | None = None) -> None:
        self.path = path
        self.process = process

    @classmethod
    def start(cls) -> Zygote:
        """Start a zygote for this process; it ends when this process does."""
        path = os.path.join(tempfile.mkdtemp(prefix="nexus-zygote-"), "socket")
        process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from nexus.build.zygote import serve; "
             "serve(sys.argv[1], int(sys.argv[2]))", path, str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env={k: v for k, v in os.environ.items()
                                         if k != "DJANGO_SETTINGS_MODULE"})
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise OSError("the zygote did not start")
            time.sleep(0.02)
        return cls(path, process)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return os.path.exists(self.path)

    def run(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str],
            timeout: float) -> Finished:
        """Run ``argv`` (``["-m", "module", …]``, ``["script.py", …]`` or ``["-c", code, …]``)
        as a child."""
        with tempfile.TemporaryDirectory(prefix="nexus-zygote-") as folder:
            outputs = {name: os.path.join(folder, name) for name in ("stdout", "stderr")}
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.connect(self.path)
                connection.sendall(json.dumps({"argv": list(argv), "cwd": str(cwd),
                                               "env": dict(env), **outputs}).encode() + b"\n")
                reader = connection.makefile("rb")
                pid = json.loads(reader.readline())["pid"]
                connection.settimeout(timeout)
                timed_out = False
                try:
                    line = reader.readline()
                except TimeoutError:
                    line, timed_out = b"", True
                # The whole session: what the command started (a server it forked) ends too.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            finally:
                connection.close()
            code = json.loads(line)["exit"] if line else -signal.SIGKILL
            read = {name: Path(path).read_text(errors="replace") if os.path.exists(path) else ""
                    for name, path in outputs.items()}
            return Finished(code, read["stdout"], read["stderr"], timed_out)

    def close(self) -> None:
        """Stop the zygote if this process started it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(os.path.dirname(self.path))


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def use(path: str) -> None:
    """Fork this process's commands from the zygote at ``path`` (the one that forked it)."""
    global _zygote
    with _zygote_lock:
        _zygote = Zygote(path)


def shared() -> Zygote | None:
    """This process's zygote, started on first use; ``None`` where none can run."""
    global _zygote
    if not hasattr(os, "fork") or os.environ.get("NEXUS_NO_ZYGOTE"):
        return None
    with _zygote_lock:
        if _zygote is None or not _zygote.alive():
            try:
                _zygote = Zygote.start()
            except OSError:
                return None
            import atexit

            atexit.register(_zygote.close)
        return _zygote


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float,
        start: bool = True, fork: bool = True) -> Finished:
    """Run ``python ARGV`` (``["-m", "module", …]``, ``["script.py", …]`` or ``["-c", code,
    …]``) in ``cwd`` with ``env`` (exactly that environment), as a process of
    its own forked from the zygote — or started with ``subprocess`` where there is none (or
    none yet and ``start`` is false), or where ``fork`` is false: a command that must run
    before any library is imported (:mod:`nexus.build.clock` replaces ``datetime.date``, which
    strawberry, imported in the zygote, has already registered)."""
    zygote = (shared() if start else _zygote) if fork else None
    if zygote is not None:
        return zygote.run(argv, cwd=cwd, env=env, timeout=timeout)
    process = subprocess.Popen([sys.executable, *argv], cwd=cwd, env=dict(env),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out, stdout, stderr = True, "", ""
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return Finished(process.returncode, stdout or "", stderr or "", timed_out)
