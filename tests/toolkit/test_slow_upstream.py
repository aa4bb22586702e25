"""``SlowUpstream``: a loopback server that answers late, or relays to another server late."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from nexus.standins.slow_upstream import SlowUpstream

BODY = b'{"status": "success", "message": "relayed"}' * 50


class ChunkedOrigin(BaseHTTPRequestHandler):
    """Answers in chunks, gzip-encoded, with headers of its own; echoes what it was sent."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        sent = self.rfile.read(int(self.headers["Content-Length"]))
        packed = gzip.compress(BODY)
        self.send_response(201, "Made")
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("X-Request-Body", sent.decode())
        self.send_header("X-Request-Auth", self.headers.get("Authorization", "-"))
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(packed), 100):
            piece = packed[start:start + 100]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChunkedOrigin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_it_answers_after_the_delay_and_counts_what_overlapped():
    with SlowUpstream(delay=0.1) as upstream:
        began = time.perf_counter()
        answer = requests.get(upstream.url("/rates?delay_ms=150"), timeout=5)
        assert time.perf_counter() - began >= 0.15
        assert answer.json() == {"path": "/rates", "delay_ms": 150}
        assert upstream.served == 1 and upstream.peak == 1


def test_a_relayed_answer_keeps_status_headers_and_encoded_body(origin):
    """Chunked and gzip-encoded at the origin: the client reads what the origin meant."""
    with SlowUpstream(delay=0.05, forward_to=origin) as upstream:
        answer = requests.post(upstream.url("/v1/transaction/initialize"), data=b"amount=10",
                               headers={"Authorization": "Bearer k"}, timeout=5)
    assert (answer.status_code, answer.reason) == (201, "Made")
    assert answer.content == BODY  # requests undid the gzip the relay passed on untouched
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["X-Request-Body"] == "amount=10"
    assert answer.headers["X-Request-Auth"] == "Bearer k"
    assert answer.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert "Transfer-Encoding" not in answer.headers  # hop-by-hop: re-framed by length
    assert int(answer.headers["Content-Length"]) == len(gzip.compress(BODY))  # still packed
