"""A private Chapa sandbox per test module, and a merchant endpoint that records what it gets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from nexus.paths import REPO_ROOT
from nexus.proc import free_port, port_answers, wait_until
from nexus.standins.chapa import config


@dataclass
class Sandbox:
    """A running sandbox process and how to reach it."""

    state_dir: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nexus.standins.chapa", "--port", str(self.port),
             "--state-dir", str(self.state_dir), "--retry-interval", "0.2"],
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert wait_until(lambda: port_answers(self.port), 15), "sandbox did not start"

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def api(self, method: str, path: str, *, key: str | None = config.TEST_SECRET_KEY,
            **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return requests.request(method, self.url + path, headers=headers, timeout=10, **kwargs)

    def configure(self, **settings) -> dict:
        """Set the merchant's ``webhook_url`` and ``retry_interval``, as its dashboard would."""
        return requests.post(self.url + "/_sandbox/settings", json=settings, timeout=10).json()

    def deliveries(self, tx_ref: str) -> list[dict]:
        """The callbacks and webhooks of ``tx_ref``, each with its attempts."""
        return requests.get(self.url + "/_sandbox/deliveries", params={"tx_ref": tx_ref},
                            timeout=10).json()


@dataclass
class Merchant:
    """The merchant's server: records callbacks and webhooks, answers with scripted codes."""

    received: list[dict] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to give, then 200
    #: tx_refs whose webhooks get no answer until ``release`` is set: a receiver that hangs.
    hold: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        assert wait_until(lambda: len(self.received) >= count, timeout), self.received
        return self.received


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "chapa")
    box.start()
    yield box
    if box.process and box.process.poll() is None:
        box.process.terminate()
        box.process.wait(timeout=10)


@pytest.fixture
def merchant() -> Iterator[Merchant]:
    record = Merchant()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record.received.append({
                "method": self.command, "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body, "at": time.monotonic(),
            })
            if body and json.loads(body).get("tx_ref") in record.hold:
                record.release.wait(60)  # bounded, so a failing test still ends
            code = record.answers.pop(0) if record.answers else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _record

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield record
    record.release.set()
    server.shutdown()
