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


class Smtp(Service):
    name = "smtp"
    summary = "SMTP sink (aiosmtpd) — mail the project sends, readable with nexus.mailbox()"

    @property
    def maildir(self) -> Path:
        return self.home / "mail"

    @property
    def pidfile(self) -> Path:
        return self.home / "smtp.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "smtp.log"

    def running_port(self) -> int | None:
        """Port of our running sink, or ``None``."""
        port = self.read_record().get("port")
        if pid_alive(read_pid(self.pidfile)) and port and port_answers(port):
            return port
        return None

    def start(self) -> None:
        with start_lock(self):
            if self.running_port():
                return
            try:
                import aiosmtpd  # noqa: F401
            except ImportError:
                raise NexusError(
                    self.name, "the aiosmtpd package is not installed",
                    "run `make install` (or `pip install -e .`) in the repository",
                ) from None
            terminate(read_pid(self.pidfile))  # a hung sink from before
            port = choose_port(self, "NEXUS_SMTP_PORT")
            process = spawn_daemon(
                [sys.executable, "-m", "nexus.smtp_sink", "--host", HOST, "--port", str(port),
                 "--maildir", str(self.maildir)],
                self.log_file,
            )
            self.write_record(port=port)
            if not wait_until(lambda: process.poll() is None and port_answers(port), 15):
                raise NexusError(
                    self.name,
                    f"the SMTP sink did not start on {HOST}:{port}; its log says:\n    "
                    + log_tail(self.log_file),
                    f"read {self.log_file}; `nexus up smtp` retries",
                )
            self.pidfile.write_text(str(process.pid))

    def stop(self) -> None:
        terminate(read_pid(self.pidfile))
        self.pidfile.unlink(missing_ok=True)

    @contextlib.contextmanager
    def unresponsive(self) -> Iterator[None]:
        """A hung mail server for the block: the port accepts connections and never answers.

        The sink is stopped and its port held by a socket nobody reads; it starts again after.
        """
        port = self.running_port() or self.read_record().get("port")
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
        port = self.running_port() or self.read_record().get("port")
        return {"EMAIL_HOST": HOST, "EMAIL_PORT": str(port)} if port else {}

    def status(self) -> ServiceStatus:
        port = self.running_port()
        if not port:
            recorded = self.read_record().get("port")
            address = f"{HOST}:{recorded}" if recorded else "-"
            return ServiceStatus(self.name, "embedded", address, "-", False, "not running")
        try:
            with smtplib.SMTP(HOST, port, timeout=3) as client:
                code, _banner = client.ehlo()
        except (OSError, smtplib.SMTPException) as exc:
            return ServiceStatus(self.name, "embedded", f"{HOST}:{port}", "-", False, str(exc))
        from importlib.metadata import version

        return ServiceStatus(
            self.name, "embedded", f"{HOST}:{port}", f"aiosmtpd {version('aiosmtpd')}", code == 250,
        )


SERVICE = Smtp()
