"""Process plumbing: loopback ports, pids, starting and stopping background programs, waiting.

Everything the toolkit starts (the embedded servers, a notebook's gunicorn and Celery worker,
a private Redis) goes through these helpers. They know nothing about services or Django: the
service wrappers (:mod:`nexus.services`) and the managed processes (:mod:`nexus.managed`) are
built on them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil

from nexus.errors import NexusError

__all__ = [
    "HOST", "choose_port", "free_port", "live_pid", "log_tail", "pid_alive", "port_answers",
    "port_is_free", "process_name", "read_pid", "spawn_daemon", "start_lock", "terminate",
    "wait_until", "write_pid",
]

#: Loopback only: nothing the course starts is reachable from another machine.
HOST = "127.0.0.1"


# --- ports ----------------------------------------------------------------------------------------
def port_is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def choose_port(name: str, override_var: str, recorded: object = None) -> int:
    """Pick the port for the embedded server ``name``.

    A port given in ``override_var`` (e.g. ``NEXUS_POSTGRES_PORT``) is used as is and must be free;
    otherwise the port ``recorded`` at the last start is reused when still free (stable addresses
    across restarts), else a new free port is chosen.
    """
    wanted = os.environ.get(override_var)
    if wanted:
        try:
            port = int(wanted)
        except ValueError:
            raise NexusError(
                name, f"{override_var}={wanted!r} is not a port number",
                f"set {override_var} to a number like 5433, or unset it",
            ) from None
        if not port_is_free(port):
            raise NexusError(
                name,
                f"port {HOST}:{port} (from {override_var}) is already in use by another program",
                f"unset {override_var} to let nexus pick a free port, "
                f"or stop the program on {port}",
            )
        return port
    if isinstance(recorded, int) and port_is_free(recorded):
        return recorded
    return free_port()


def port_answers(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True if a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- pids -----------------------------------------------------------------------------------------
def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists and is not a zombie (psutil: Linux and macOS)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # ZombieProcess is one too
        return False
    except psutil.AccessDenied:
        return True  # another user's process: it exists


def process_name(pid: int | None) -> str | None:
    """The program name of process ``pid`` (``"postgres"``); ``None`` if gone or unreadable."""
    if not pid:
        return None
    try:
        return psutil.Process(pid).name()
    except psutil.Error:
        return None


def _started(pid: int) -> tuple[float, float] | None:
    """When ``pid`` started: seconds since the epoch, and seconds since the machine booted.

    psutil derives the first from the second on Linux (``/proc/PID/stat`` counts clock ticks
    since boot; it adds the boot time, which ``/proc/stat`` gives on the *current* wall clock).
    So when the wall clock is stepped (NTP, a VM restored from a snapshot, a manual change),
    every process's start time in epoch seconds moves by the step, while its time since boot
    stays put. On macOS the kernel keeps each process's start as a wall-clock time and the boot
    time is what a step moves (psutil 7 corrects for a step within one Python, from the boot time
    it read at import, not across Pythons). Recording both lets :func:`live_pid` recognise a
    process whichever of the two a clock step moved.
    """
    try:
        started = psutil.Process(pid).create_time()
        return started, started - psutil.boot_time()
    except psutil.Error:
        return None


def write_pid(pidfile: Path, pid: int) -> None:
    """Record ``pid`` with its start time, so that :func:`live_pid` can tell it from a reuse."""
    started = _started(pid)
    pidfile.write_text(f"{pid} {started[0]:.3f} {started[1]:.3f}\n" if started is not None
                       else f"{pid}\n")


def read_pid(pidfile: Path) -> int | None:
    """The pid in a pid file, or ``None`` if missing or unreadable."""
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def live_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` if that process still runs: ``None`` for a stale file.

    Stale means gone, a zombie, or — after a crash or a reboot — the pid now taken by another
    program: its start time differs from the one :func:`write_pid` recorded (that process is
    neither ours to wait for nor to kill). The start time is compared both as a wall-clock time
    and as a time since boot, and either matching is enough: a step of the wall clock moves one
    of them (see :func:`_started`), so comparing only one took a running server for a stale one
    after a clock step and started a second beside it. A pid reused by another program started
    at another moment, which both show.
    """
    pid = read_pid(pidfile)
    if not pid_alive(pid):
        return None
    assert pid is not None
    try:
        recorded = [float(field) for field in pidfile.read_text().split()[1:3]]
    except (OSError, ValueError):
        recorded = []
    started = _started(pid)
    if not recorded or started is None:
        return pid  # no start time recorded (an older toolkit's file), or none readable now
    # 1 s for the recorded rounding; 2 s since boot, as /proc/stat gives the boot time in
    # whole seconds.
    if abs(started[0] - recorded[0]) <= 1 or (
            len(recorded) > 1 and abs(started[1] - recorded[1]) <= 2):
        return pid
    return None


# --- waiting --------------------------------------------------------------------------------------
def wait_until(check: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass; whether it became true."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


# --- starting and stopping ------------------------------------------------------------------------
def spawn_daemon(argv: Sequence[str], log: Path, *, tethered: bool = False,
                 **kwargs: object) -> subprocess.Popen:
    """Start a background process (own session, output to ``log``).

    A service outlives the caller. ``tethered=True`` is for a process that belongs to the
    caller — a notebook's server or worker: it is sent SIGTERM when the caller dies, even by
    SIGKILL (at once on Linux, within half a second on macOS; see :mod:`nexus.tether`). Linux
    ties it to the *thread* that started it, so start it from one that lives as long as it
    should: a notebook cell or a test fixture (the main thread), not a short-lived pool thread.
    """
    if tethered:
        # The file, not `-m nexus.tether`: importing the nexus package would cost 0.1 s.
        tether = Path(__file__).resolve().parent / "tether.py"
        argv = [sys.executable, str(tether), str(os.getpid()), "--", *argv]
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            **kwargs,
        )


def terminate(pid: int | None, timeout: float = 10.0) -> None:
    """SIGTERM a process and wait for it; SIGKILL if it will not go."""
    if not pid_alive(pid):
        return
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not pid_alive(pid), timeout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(pid), 5)


def log_tail(log: Path, lines: int = 5) -> str:
    """The last lines of a log file, for error messages."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except FileNotFoundError:
        return "(no log written)"
    return "\n    ".join(text[-lines:]) or "(log is empty)"


@contextlib.contextmanager
def start_lock(folder: Path) -> Iterator[None]:
    """Serialise starts of one server across processes (two notebooks starting at once).

    The lock is a file in ``folder`` (the server's state folder).
    """
    import fcntl

    with open(folder / ".start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
