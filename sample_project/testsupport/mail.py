"""An SMTP server of the tests' own (aiosmtpd, in this process) that keeps every message it gets.

The worker a test starts sends its email here (``EMAIL_HOST``/``EMAIL_PORT`` from
``processes.test_env``), so a test reads what was really sent over SMTP — and can stop the
server (connections refused), slow it down, or put a silent one on its port, without touching
any SMTP server someone else uses.
"""

from __future__ import annotations

import asyncio
import email
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from .processes import HOST, free_port

RECEIPT_SUBJECT = "Payment received: "


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it: the envelope and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def body(self) -> str:
        """The plain-text part (or the HTML one, if that is all there is)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class SmtpSink:
    """Accepts every message on its own port; ``stop()``/``start()`` keep the port and the mail."""

    def __init__(self) -> None:
        self.port = free_port()
        self.delay = 0.0
        self.messages: list[Mail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # aiosmtpd calls this once the whole message is in. A client that hangs up during the
    # delay cancels it (aiosmtpd cancels the session's handler when the connection is lost),
    # so a message cut off by a dying worker is never stored.
    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or envelope.content
        message = email.message_from_bytes(
            content if isinstance(content, bytes) else content.encode(), policy=policy.default)
        with self._lock:
            self.messages.append(Mail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpSink:
        """Serve on the sink's port (again, after ``stop()``); returns once it accepts."""
        if self._controller is None:
            # A new controller each time: a stopped one has closed its event loop.
            self._controller = Controller(self, hostname=HOST, port=self.port)
            self._controller.start()  # returns once the server answers its own probe
        return self

    def stop(self) -> None:
        """Stop serving: new SMTP connections are refused until ``start()``."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def set_delay(self, seconds: float) -> None:
        """Accept each message ``seconds`` late (0: at once)."""
        self.delay = seconds

    def to(self, address: str) -> list[Mail]:
        """Every message delivered to ``address``, in arrival order."""
        with self._lock:
            return [mail for mail in self.messages if address in mail.recipients]

    def receipts(self, address: str) -> list[Mail]:
        """Payment receipts (not booking confirmations) sent to ``address``."""
        return [mail for mail in self.to(address) if mail.subject.startswith(RECEIPT_SUBJECT)]
