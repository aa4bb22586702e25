"""SMTP: an aiosmtpd sink on loopback that keeps every message under ``.nexus/smtp/mail``.

Django sends real SMTP to it (``EMAIL_HOST`` / ``EMAIL_PORT``); :func:`nexus.mailbox` reads what
arrived. Always embedded: a course has no business sending mail to the outside world.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

from nexus.errors import NexusError
from nexus.proc import HOST
from nexus.services.base import DaemonService


class Smtp(DaemonService):
    name = "smtp"
    summary = "SMTP sink (aiosmtpd) — mail the project sends, readable with nexus.mailbox()"
    port_var = "NEXUS_SMTP_PORT"
    label = "the SMTP sink"

    @property
    def maildir(self) -> Path:
        return self.home / "mail"

    def command(self, port: int) -> list[str]:
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            raise NexusError(
                self.name, "the aiosmtpd package is not installed",
                "run `make install` (or `pip install -e .`) in the repository",
            ) from None
        return [sys.executable, "-m", "nexus.standins.smtp_sink", "--host", HOST,
                "--port", str(port), "--maildir", str(self.maildir)]

    def probe(self, port: int) -> tuple[str, bool, str]:
        try:
            with smtplib.SMTP(HOST, port, timeout=3) as client:
                code, _banner = client.ehlo()
        except (OSError, smtplib.SMTPException) as exc:
            return "-", False, str(exc)
        return f"aiosmtpd {version('aiosmtpd')}", code == 250, ""

    @contextlib.contextmanager
    def unresponsive(self) -> Iterator[None]:
        """A hung mail server for the block: the port accepts connections and never answers.

        The sink is stopped and its port held by a socket nobody reads; it starts again after.
        """
        port = self.recorded_port()
        self.stop()
        try:
            with socket.create_server((HOST, port)):
                yield
        finally:
            self.start()

    def set_delay(self, seconds: float) -> None:
        """Make the sink answer every message ``seconds`` late (0 = normal speed)."""
        (self.home / "delay_ms").write_text(str(int(seconds * 1000)))

    def environment(self) -> dict[str, str]:
        port = self.recorded_port()
        return {"EMAIL_HOST": HOST, "EMAIL_PORT": str(port)} if port else {}


SERVICE = Smtp()
