"""Read the mail the sample project sent to the course's SMTP sink."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

__all__ = ["Mail", "Mailbox", "mailbox"]


@dataclass(frozen=True)
class Mail:
    """One message as the SMTP server received it."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    message: EmailMessage
    path: Path

    def __repr__(self) -> str:
        return f"<Mail to {', '.join(self.recipients)}: {self.subject!r}>"


def _parse(path: Path) -> Mail:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    recipients = tuple(
        r.strip() for r in str(message.get("X-Nexus-Envelope-To", "")).split(",") if r.strip()
    )
    return Mail(
        sender=str(message.get("X-Nexus-Envelope-From", "")),
        recipients=recipients,
        subject=str(message.get("Subject", "")),
        body=body,
        message=message,
        path=path,
    )


#: Parsed messages by (path, mtime, size): a file never changes once written, so a poll that
#: reads the mailbox again (``worker.until(...)``) parses only the mail that arrived since.
_PARSED: dict[tuple[Path, int, int], Mail] = {}


def _parse_once(path: Path) -> Mail:
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = _parse(path)
    return _PARSED[key]


class Mailbox:
    """The sink's messages in arrival order; a snapshot taken when created."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.messages = []
        for path in sorted(maildir.glob("*.eml")):
            try:
                self.messages.append(_parse_once(path))
            except FileNotFoundError:  # cleared while we read
                continue

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[Mail]:
        return iter(self.messages)

    def __getitem__(self, index: int) -> Mail:
        return self.messages[index]

    def to(self, address: str) -> list[Mail]:
        """Messages whose envelope lists ``address`` as a recipient."""
        return [m for m in self.messages if address in m.recipients]

    def clear(self) -> int:
        """Delete every stored message; returns how many there were."""
        count = 0
        for path in self.maildir.glob("*.eml"):
            path.unlink(missing_ok=True)
            count += 1
        self.messages = []
        return count

    def __repr__(self) -> str:
        return f"<Mailbox: {len(self.messages)} message(s)>"


def mailbox() -> Mailbox:
    """The messages the SMTP sink has received so far (``nexus up`` starts the sink)."""
    from nexus.services.smtp import SERVICE

    SERVICE.maildir.mkdir(parents=True, exist_ok=True)
    return Mailbox(SERVICE.maildir)
