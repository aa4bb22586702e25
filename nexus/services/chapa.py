"""The Chapa sandbox: a local HTTP server speaking Chapa's v1 API in test mode.

State (transactions, webhook deliveries) lives in ``.nexus/chapa/sandbox.sqlite3``, so a restart
keeps them. ``CHAPA_BASE_URL`` set by the learner (e.g. ``https://api.chapa.co`` with real test
keys) switches to the external profile.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from nexus.errors import NexusError
from nexus.services.base import (
    HOST,
    Service,
    ServiceStatus,
    choose_port,
    log_tail,
    pid_alive,
    port_answers,
    read_pid,
    spawn_daemon,
    start_lock,
    terminate,
    wait_until,
)


class Chapa(Service):
    name = "chapa"
    env_var = "CHAPA_BASE_URL"
    summary = "Chapa sandbox — Chapa's v1 API, checkout page and webhooks, in test mode"

    @property
    def pidfile(self) -> Path:
        return self.home / "chapa.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "chapa.log"

    def running_port(self) -> int | None:
        """Port of our running sandbox, or ``None``."""
        port = self.read_record().get("port")
        if pid_alive(read_pid(self.pidfile)) and port and port_answers(port):
            return port
        return None

    def start(self) -> None:
        if self.profile == "external":
            return
        with start_lock(self):
            if self.running_port():
                return
            terminate(read_pid(self.pidfile))
            port = choose_port(self, "NEXUS_CHAPA_PORT")
            process = spawn_daemon(
                [sys.executable, "-m", "nexus.chapa.server", "--host", HOST, "--port", str(port),
                 "--state-dir", str(self.home)],
                self.log_file,
            )
            self.write_record(port=port)
            if not wait_until(lambda: process.poll() is None and port_answers(port), 15):
                raise NexusError(
                    self.name,
                    f"the sandbox did not start on {HOST}:{port}; its log says:\n    "
                    + log_tail(self.log_file),
                    f"read {self.log_file}; `nexus up chapa` retries",
                )
            self.pidfile.write_text(str(process.pid))

    def stop(self) -> None:
        if self.profile == "external":
            return
        terminate(read_pid(self.pidfile))
        self.pidfile.unlink(missing_ok=True)

    def url(self) -> str:
        """Base URL of the Chapa API in use."""
        if self.external_url:
            return self.external_url.rstrip("/")
        port = self.running_port() or self.read_record().get("port")
        if not port:
            raise NexusError(self.name, "the sandbox has never started", "run `nexus up`")
        return f"http://{HOST}:{port}"

    def environment(self) -> dict[str, str]:
        from nexus.chapa import config

        if self.external_url:
            return {}
        port = self.running_port() or self.read_record().get("port")
        if not port:
            return {}
        return {"CHAPA_BASE_URL": f"http://{HOST}:{port}",
                "CHAPA_SECRET_KEY": config.TEST_SECRET_KEY,
                "CHAPA_WEBHOOK_SECRET": config.WEBHOOK_SECRET}

    def status(self) -> ServiceStatus:
        if self.profile == "embedded" and not self.running_port():
            recorded = self.read_record().get("port")
            address = f"{HOST}:{recorded}" if recorded else "-"
            return ServiceStatus(self.name, "embedded", address, "-", False, "not running")
        url = self.url()
        address = url.split("://", 1)[-1]
        if self.profile == "external":
            return ServiceStatus(self.name, "external", address, "Chapa v1", True,
                                 "not probed: the real API needs network")
        try:
            with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=3) as response:
                ok = json.load(response).get("status") == "ok"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return ServiceStatus(self.name, self.profile, address, "-", False, str(exc))
        return ServiceStatus(self.name, "embedded", address, "Chapa v1 sandbox", ok)


SERVICE = Chapa()
