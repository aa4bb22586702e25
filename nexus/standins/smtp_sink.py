"""The SMTP sink the course runs: accepts every message and stores it as a file.

Run by ``nexus up`` as ``python -m nexus.standins.smtp_sink --port P --maildir DIR``. Each
message becomes ``DIR/000001.eml`` (numbered in arrival order, written atomically) with the SMTP
envelope in ``X-Nexus-Envelope-From`` / ``X-Nexus-Envelope-To`` headers. A number of milliseconds
in the file ``DIR/../delay_ms`` slows every DATA reply, which the Celery lesson uses to show a slow
mail server.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class FileSink:
    """aiosmtpd handler: store each message in ``maildir`` in arrival order."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.maildir.mkdir(parents=True, exist_ok=True)
        self.delay_file = maildir.parent / "delay_ms"
        existing = [int(p.stem) for p in maildir.glob("*.eml") if p.stem.isdigit()]
        self.counter = max(existing, default=0)
        self.lock = threading.Lock()

    def delay(self) -> float:
        try:
            return max(0, int(self.delay_file.read_text().strip())) / 1000
        except (FileNotFoundError, ValueError):
            return 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        pause = self.delay()
        if pause:
            await asyncio.sleep(pause)
        header = (
            f"X-Nexus-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Nexus-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        with self.lock:
            self.counter += 1
            path = self.maildir / f"{self.counter:06d}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(header + content)
            tmp.replace(path)
        return "250 Message accepted for delivery"


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()

    controller = Controller(
        FileSink(args.maildir), hostname=args.host, port=args.port,
        ident="Nexus SMTP sink (aiosmtpd)",
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
