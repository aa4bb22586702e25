"""``nexus.load``: the bounded loopback load generator, against a tiny threaded HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from nexus.errors import NexusError
from nexus.load import Request, percentile, require_loopback, run_load, sweep
from nexus.proc import free_port


class Tiny(ThreadingHTTPServer):
    """Answers GET / (200), /boom (500), /slow?ms=N; echoes POSTed JSON; counts in-flight."""

    daemon_threads = True
    request_queue_size = 64  # the default backlog (5) would drop simultaneous connects

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.in_flight = self.peak = 0
        self.bodies: list[dict] = []

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server: Tiny = self.server  # type: ignore[assignment]
        url = urlsplit(self.path)
        with server.lock:
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
        try:
            if url.path == "/slow":
                time.sleep(int(parse_qs(url.query)["ms"][0]) / 1000)
            self._answer(500 if url.path == "/boom" else 200, b"ok " + self.path.encode())
        finally:
            with server.lock:
                server.in_flight -= 1

    def do_POST(self) -> None:
        server: Tiny = self.server  # type: ignore[assignment]
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with server.lock:
            server.bodies.append({"json": data, "auth": self.headers.get("Authorization"),
                                  "type": self.headers.get("Content-Type")})
        self._answer(201, b"{}")

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def tiny() -> Iterator[Tiny]:
    server = Tiny()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_fixed_number_of_requests_is_sent_exactly(tiny):
    result = run_load(tiny.url(), "/", total=50, concurrency=4)
    assert result.count == 50 and result.statuses == {200: 50}
    assert [s.index for s in result.samples] == list(range(50))
    assert {s.client for s in result.samples} <= {0, 1, 2, 3}
    assert result.errors == 0 and result.ok == 50
    assert result.throughput > 0 and result.elapsed > 0
    assert 0 < result.p50 <= result.p90 <= result.p99 <= max(result.latencies_ms)
    assert "50 requests · 4 clients" in str(result)


def test_clients_really_run_concurrently(tiny):
    result = run_load(tiny.url(), "/slow?ms=100", total=8, concurrency=8)
    assert tiny.peak == 8
    # Eight 100 ms requests at once take about 100 ms, not 800.
    assert result.elapsed < 0.5
    # Little's law: throughput × mean latency = requests in flight.
    assert result.throughput * result.mean_ms / 1000 == pytest.approx(8, rel=0.3)


def test_a_duration_bounds_the_run(tiny):
    began = time.perf_counter()
    result = run_load(tiny.url(), "/slow?ms=20", duration=0.3, concurrency=2)
    assert time.perf_counter() - began < 1.0
    assert 10 <= result.count <= 40  # 2 clients × 0.3 s / 20 ms ≈ 30
    assert max(s.start for s in result.samples) < 0.3


def test_each_request_can_differ_and_carries_json_and_headers(tiny):
    def booking(index: int) -> Request:
        return Request("POST", "/api/bookings/", json={"n": index},
                       headers={"Authorization": f"Bearer token-{index % 3}"})

    result = run_load(tiny.url(), booking, total=12, concurrency=3)
    assert result.statuses == {201: 12}
    assert sorted(body["json"]["n"] for body in tiny.bodies) == list(range(12))
    assert {body["auth"] for body in tiny.bodies} == {f"Bearer token-{n}" for n in range(3)}
    assert {body["type"] for body in tiny.bodies} == {"application/json"}


def test_server_errors_and_missing_answers_are_counted_not_raised(tiny):
    boom = run_load(tiny.url(), "/boom", total=5)
    assert boom.statuses == {500: 5} and boom.server_errors == 5 and boom.errors == 5
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    refused = run_load(closed, "/", total=3, concurrency=2)
    assert refused.statuses == {0: 3} and refused.failed == 3
    assert all("Connection" in s.error or "refused" in s.error for s in refused.samples)


def test_bodies_are_kept_only_when_asked(tiny):
    assert run_load(tiny.url(), "/a", total=1).samples[0].body == b""
    assert run_load(tiny.url(), "/a", total=1, keep_bodies=True).samples[0].body == b"ok /a"


@pytest.mark.parametrize("url", ["http://example.com/", "http://10.0.0.7:8000",
                                 "http://192.168.1.2", "https://127.0.0.1:443", "ftp://127.0.0.1",
                                 "http://127.0.0.1.example.com"])
def test_only_loopback_targets_are_accepted(url):
    with pytest.raises(NexusError, match="only http:// on loopback"):
        run_load(url, "/", total=1)


def test_loopback_spellings_are_accepted():
    assert require_loopback("http://127.0.0.1:8000/x") == ("127.0.0.1", 8000)
    assert require_loopback("http://localhost") == ("localhost", 80)
    assert require_loopback("http://[::1]:9000") == ("::1", 9000)
    assert require_loopback("http://127.0.0.2:1") == ("127.0.0.2", 1)


@pytest.mark.parametrize("bounds", [{}, {"total": 5, "duration": 1.0}, {"total": 0},
                                    {"total": 10**9}, {"duration": 3600.0},
                                    {"total": 1, "concurrency": 0}])
def test_runs_are_bounded(bounds):
    with pytest.raises(ValueError):
        run_load("http://127.0.0.1:1", "/", **bounds)


def test_sweep_runs_once_per_concurrency(tiny):
    results = sweep(tiny.url(), "/", concurrencies=(1, 2, 4), total=8)
    assert list(results) == [1, 2, 4]
    assert [r.concurrency for r in results.values()] == [1, 2, 4]
    assert all(r.statuses == {200: 8} for r in results.values())


@pytest.mark.parametrize(("values", "pct", "expected"), [
    ([5, 1, 4, 2, 3], 50, 3),            # unsorted input
    (list(range(1, 11)), 90, 9),         # nearest rank: the 9th of 10, not the maximum
    (list(range(1, 101)), 99, 99),
    (list(range(1, 101)), 7, 7),         # 7 × 100 / 100 must not round up to 8
    (list(range(1, 11)), 100, 10),
    (list(range(1, 11)), 0.1, 1),
    ([42.0], 99, 42.0),
])
def test_percentile_is_nearest_rank(values, pct, expected):
    assert percentile(values, pct) == expected


def test_percentile_rejects_nonsense():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1, 2], 0)
    with pytest.raises(ValueError):
        percentile([1, 2], 101)
