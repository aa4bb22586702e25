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

from nexus.errors import NexusError
from nexus.proc import HOST
from nexus.services.base import DaemonService, ServiceStatus


class Chapa(DaemonService):
    name = "chapa"
    env_var = "CHAPA_BASE_URL"
    summary = "Chapa sandbox — Chapa's v1 API, checkout page and webhooks, in test mode"
    port_var = "NEXUS_CHAPA_PORT"
    label = "the Chapa sandbox"

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "nexus.standins.chapa", "--host", HOST, "--port", str(port),
                "--state-dir", str(self.home)]

    def probe(self, port: int) -> tuple[str, bool, str]:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/_sandbox/health",
                                        timeout=3) as response:
                ok = json.load(response).get("status") == "ok"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return "-", False, str(exc)
        return "Chapa v1 sandbox", ok, ""

    def url(self) -> str:
        """Base URL of the Chapa API in use."""
        if self.external_url:
            return self.external_url.rstrip("/")
        port = self.recorded_port()
        if not port:
            raise NexusError(self.name, "the sandbox has never started", "run `nexus up`")
        return f"http://{HOST}:{port}"

    def environment(self) -> dict[str, str]:
        from nexus.standins.chapa import config

        if self.external_url:
            return {}
        port = self.recorded_port()
        if not port:
            return {}
        return {"CHAPA_BASE_URL": f"http://{HOST}:{port}",
                "CHAPA_SECRET_KEY": config.TEST_SECRET_KEY,
                "CHAPA_WEBHOOK_SECRET": config.WEBHOOK_SECRET}

    def status(self) -> ServiceStatus:
        if self.profile == "embedded":
            return super().status()
        return ServiceStatus(self.name, "external", self.url().split("://", 1)[-1], "Chapa v1",
                             True, "not probed: the real API needs network")


SERVICE = Chapa()
