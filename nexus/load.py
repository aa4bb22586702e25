"""A small, bounded load generator for servers on this machine's loopback.

Lesson 12 loads the sample project's gunicorn server from the notebook: N clients, each on its
own thread with its own connection, send requests back to back (a *closed* loop: a client sends
its next request when the previous answer arrives) for a fixed number of requests or a fixed
time. Every request's latency and status is recorded; the result gives throughput, percentiles
and error counts::

    from nexus.load import Request, run_load

    result = run_load(server.url("/"), "/api/listings/", total=400, concurrency=8)
    print(result)            # 400 requests · 8 clients · 1.9 s · 210 req/s · p50 36 ms …
    result.statuses          # {200: 400}

``request`` may also be a function of the request's index, so that every request can differ
(another listing, another guest's token). Targets must be loopback addresses: this is a tool for
measuring your own server, not for sending traffic anywhere else. Runs are bounded in requests
and in seconds.
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import json as jsonlib
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from nexus.errors import NexusError

__all__ = [
    "MAX_CONCURRENCY", "MAX_DURATION", "MAX_REQUESTS", "LoadResult", "Request", "Sample",
    "percentile", "require_loopback", "run_load", "sweep",
]

#: No run sends more requests than this, whatever it is asked.
MAX_REQUESTS = 100_000
#: No run lasts longer than this many seconds.
MAX_DURATION = 120.0
#: No run has more clients (threads) than this.
MAX_CONCURRENCY = 256


@dataclass(frozen=True)
class Request:
    """One HTTP request to send: method, path (with its query string), JSON body, headers."""

    method: str = "GET"
    path: str = "/"
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """What happened to one request: when it started, how long it took, its status."""

    index: int  #: the request's number, 0, 1, 2… in the order requests were handed out
    client: int  #: which client (thread) sent it
    start: float  #: seconds from the start of the run to the moment it was sent
    latency: float  #: seconds from sending it to having read the whole response
    status: int  #: the HTTP status; 0 when no response came (refused, reset, timed out)
    error: str = ""  #: for status 0, what went wrong
    body: bytes = b""  #: the response body (kept only when ``keep_bodies`` was asked for)


def percentile(values: Iterable[float], pct: float) -> float:
    """The ``pct``-th percentile of ``values`` by nearest rank: a value that was measured.

    The smallest value with at least ``pct`` % of all values at or below it: with 100 latencies,
    p99 is the 99th smallest. ``pct`` is in (0, 100].
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 < pct <= 100:
        raise ValueError(f"pct must be in (0, 100], not {pct}")
    # round(): 0.07 * 100 is 7.000000000000001 in floating point, and its ceil would be 8.
    rank = math.ceil(round(pct * len(ordered) / 100, 9))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class LoadResult:
    """The samples of one run and what they add up to. Latencies are reported in milliseconds."""

    samples: tuple[Sample, ...]
    concurrency: int
    elapsed: float  #: wall-clock seconds from the first request sent to the last answer read

    @property
    def count(self) -> int:
        """Requests sent."""
        return len(self.samples)

    @property
    def throughput(self) -> float:
        """Requests completed per second, over the whole run (answered or not)."""
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def latencies_ms(self) -> list[float]:
        """Every request's latency in milliseconds, in the order the requests were handed out."""
        return [s.latency * 1000 for s in sorted(self.samples, key=lambda s: s.index)]

    def percentile(self, pct: float) -> float:
        """The ``pct``-th percentile latency in milliseconds (nearest rank)."""
        return percentile(self.latencies_ms, pct)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p90(self) -> float:
        return self.percentile(90)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean_ms(self) -> float:
        """The mean latency in milliseconds."""
        return sum(self.latencies_ms) / self.count if self.count else 0.0

    @property
    def statuses(self) -> dict[int, int]:
        """How many responses had each status, e.g. ``{201: 1, 409: 19}`` (0 = no response)."""
        return dict(sorted(Counter(s.status for s in self.samples).items()))

    @property
    def ok(self) -> int:
        """Responses with a 2xx status."""
        return sum(1 for s in self.samples if 200 <= s.status < 300)

    @property
    def server_errors(self) -> int:
        """Responses with a 5xx status: the server failed."""
        return sum(1 for s in self.samples if s.status >= 500)

    @property
    def failed(self) -> int:
        """Requests that got no response at all (connection refused or reset, timeout)."""
        return sum(1 for s in self.samples if s.status == 0)

    @property
    def errors(self) -> int:
        """Requests that went wrong on the server's side or the wire: 5xx plus no response."""
        return self.server_errors + self.failed

    def __str__(self) -> str:
        if not self.count:
            return "no requests"
        return (f"{self.count} requests · {self.concurrency} clients · {self.elapsed:.1f} s · "
                f"{self.throughput:.0f} req/s · p50 {self.p50:.1f} ms · p90 {self.p90:.1f} ms · "
                f"p99 {self.p99:.1f} ms · statuses {self.statuses}")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython shows str()
        printer.text(str(self))


def require_loopback(base_url: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://`` URL on loopback; a :class:`NexusError` otherwise."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise NexusError("load", f"refusing to load {base_url!r}: only http:// on loopback "
                                 "(127.0.0.1, ::1, localhost) is allowed",
                         "load your own server, e.g. run_load(server.url('/'), ...)")
    return host, parts.port or 80


RequestSpec = Request | str | Callable[[int], "Request | str"]


def _request_for(spec: RequestSpec, index: int) -> Request:
    made = spec(index) if callable(spec) else spec
    return Request(path=made) if isinstance(made, str) else made


def run_load(base_url: str, request: RequestSpec, *, total: int | None = None,
             duration: float | None = None, concurrency: int = 1, timeout: float = 10.0,
             keep_bodies: bool = False) -> LoadResult:
    """Send ``request`` to the loopback server at ``base_url`` from ``concurrency`` clients.

    Give ``total`` (exactly that many requests) or ``duration`` (seconds; clients stop starting
    new requests when it is over) — both bounded by :data:`MAX_REQUESTS` and :data:`MAX_DURATION`.
    ``request`` is a :class:`Request`, a path, or a function of the request's index returning
    either. All clients start together, released by a barrier (that is also how a race is made:
    ``total=concurrency=20``). A request that gets no answer counts with status 0; none is retried.
    """
    host, port = require_loopback(base_url)
    if (total is None) == (duration is None):
        raise ValueError("give either total= (a number of requests) or duration= (seconds)")
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be between 1 and {MAX_CONCURRENCY}")
    if total is not None and not 1 <= total <= MAX_REQUESTS:
        raise ValueError(f"total must be between 1 and {MAX_REQUESTS}")
    if duration is not None and not 0 < duration <= MAX_DURATION:
        raise ValueError(f"duration must be in (0, {MAX_DURATION:g}] seconds")
    limit = total if total is not None else MAX_REQUESTS

    tickets = itertools.count()  # next() on it is atomic under the GIL: each index once
    samples: list[Sample] = []
    barrier = threading.Barrier(concurrency + 1)
    clock: dict[str, float] = {}

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        mine: list[Sample] = []
        barrier.wait()
        began = clock["began"]
        deadline = began + duration if duration is not None else math.inf
        try:
            while time.perf_counter() < deadline:
                index = next(tickets)
                if index >= limit:
                    break
                mine.append(_send(connection, _request_for(request, index), index, number,
                                  began, keep_bodies))
        finally:
            connection.close()
            samples.extend(mine)  # list.extend is atomic under the GIL

    threads = [threading.Thread(target=client, args=(n,), daemon=True, name=f"load-{n}")
               for n in range(concurrency)]
    for thread in threads:
        thread.start()
    clock["began"] = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    ended = max((s.start + s.latency for s in samples), default=0.0)
    return LoadResult(tuple(sorted(samples, key=lambda s: s.index)), concurrency, ended)


def _send(connection: http.client.HTTPConnection, request: Request, index: int, client: int,
          began: float, keep_body: bool) -> Sample:
    """Send one request on ``connection`` and time it to the last byte of the answer."""
    headers = dict(request.headers)
    body = None
    if request.json is not None:
        body = jsonlib.dumps(request.json).encode()
        headers.setdefault("Content-Type", "application/json")
    start = time.perf_counter()
    try:
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        status = response.status
        error = ""
    except (OSError, http.client.HTTPException) as exc:
        connection.close()  # the next request opens a fresh connection
        content, status, error = b"", 0, f"{type(exc).__name__}: {exc}"
    return Sample(index=index, client=client, start=start - began,
                  latency=time.perf_counter() - start, status=status, error=error,
                  body=content if keep_body else b"")


def sweep(base_url: str, request: RequestSpec, *, concurrencies: Sequence[int] = (1, 2, 4, 8, 16),
          total: int | None = None, duration: float | None = None,
          timeout: float = 10.0) -> dict[int, LoadResult]:
    """:func:`run_load` once per concurrency level, same request and bound.

    Returns ``{clients: result}`` in the order of ``concurrencies``.
    """
    return {clients: run_load(base_url, request, total=total, duration=duration,
                              concurrency=clients, timeout=timeout)
            for clients in concurrencies}
