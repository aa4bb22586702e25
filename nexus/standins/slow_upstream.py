"""A slow upstream on loopback: an HTTP server that waits a fixed time before every answer.

On ``127.0.0.1`` every service answers in a millisecond or two, so there is nothing to wait for
and nothing for async code to overlap. Real upstreams (a payment gateway, a rates API) are tens
to hundreds of milliseconds away. This server restores that latency, deterministically:

    with SlowUpstream(delay=0.1) as upstream:             # answers {"path": ..., "delay_ms": 100}
        requests.get(upstream.url("/rates"))              # takes ≈ 100 ms
    with SlowUpstream(delay=0.1, forward_to=chapa_url):   # Chapa's sandbox, 100 ms further away
        ...

It is itself an asyncio server, running its own event loop in a background thread (so that
blocking clients in the notebook's thread can call it): one thread keeps any number of requests
waiting at once. ``?delay_ms=N`` overrides the delay of one request. ``peak`` and ``served``
count what it saw, so a check can tell concurrent clients from sequential ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import parse_qsl, urlsplit

import httpx

from nexus.proc import HOST
from nexus.standins.loop_server import LoopServer

__all__ = ["SlowUpstream"]

#: Connections beyond this wait for a slot: the server stays bounded whatever a client does.
MAX_CONNECTIONS = 200
#: A kept-alive connection idle this long is closed.
IDLE_TIMEOUT = 5.0
#: Relayed requests open at once. Python's http.server (the Chapa sandbox) listens with a backlog
#: of 5: more simultaneous connects are dropped and retried by the kernel a second later.
RELAY_CONNECTIONS = 4
JSON = [("Content-Type", "application/json")]
#: Headers that belong to one connection, not to the message (RFC 9110, section 7.6.1).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"})


class SlowUpstream(LoopServer):
    """An HTTP/1.1 server on a free loopback port answering after ``delay`` seconds.

    With ``forward_to`` (a base URL such as ``http://127.0.0.1:8000``) it waits, then relays
    the request there and relays the answer back: the same API, ``delay`` further away.
    """

    name = "slow upstream"
    backlog = MAX_CONNECTIONS

    def __init__(self, *, delay: float = 0.1, forward_to: str | None = None) -> None:
        self.delay = delay
        self.forward_to = urlsplit(forward_to) if forward_to else None
        self.served = 0  # requests answered
        self.in_flight = 0  # requests being answered right now
        self.peak = 0  # the most requests in flight at once since the last reset()
        self._start()

    # --- the public side -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def reset(self) -> None:
        """Start counting ``served`` and ``peak`` from zero."""
        self.served = 0
        self.peak = self.in_flight

    def __repr__(self) -> str:
        target = f", forwarding to {self.forward_to.netloc}" if self.forward_to else ""
        return f"<SlowUpstream at {self.base_url}: {self.delay * 1000:.0f} ms{target}>"

    # --- the server, in its own thread and event loop ------------------------------------------
    async def _opening(self) -> None:
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._relay_slots = asyncio.Semaphore(RELAY_CONNECTIONS)
        # trust_env=False: no proxy from the environment between two loopback servers.
        self._client = httpx.AsyncClient(trust_env=False, timeout=30,
                                         limits=httpx.Limits(max_connections=RELAY_CONNECTIONS))

    async def _closing(self) -> None:
        # Kept-alive connections would outlive the server: close them (their handlers see the
        # end of the stream and return) before the loop closes.
        for writer in self._connections.values():
            writer.close()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=2)
        await self._client.aclose()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        task.add_done_callback(lambda done: self._connections.pop(done, None))
        async with self._slots:
            try:
                while True:  # keep-alive: one request after another on this connection
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        head = await reader.readuntil(b"\r\n\r\n")
                    method, target, headers = _parse_head(head)
                    length = int(headers.get("content-length", "0"))
                    body = await reader.readexactly(length) if length else b""
                    answer = await self._answer(method, target, headers, body)
                    writer.write(answer)
                    await writer.drain()
                    if headers.get("connection", "").lower() == "close":
                        break
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                    ConnectionError, ValueError):
                pass  # the client went away, idled out or sent something we don't speak
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                    await writer.wait_closed()

    async def _answer(self, method: str, target: str, headers: dict[str, str],
                      body: bytes) -> bytes:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            url = urlsplit(target)
            query = dict(parse_qsl(url.query))
            delay = int(query["delay_ms"]) / 1000 if "delay_ms" in query else self.delay
            # The latency: waiting, not working (cut short only when the server stops).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._shutdown.wait()
            if self._shutdown.is_set():
                raise ConnectionAbortedError("the server is stopping")
            if self.forward_to is None:
                payload = json.dumps({"path": url.path, "delay_ms": round(delay * 1000)})
                return _response(200, "OK", payload.encode(), JSON)
            return await self._forward(method, target, headers, body)
        finally:
            self.in_flight -= 1
            self.served += 1

    async def _forward(self, method: str, target: str, headers: dict[str, str],
                       body: bytes) -> bytes:
        """Relay the request with httpx and the answer back: status, headers and body as sent.

        The body's bytes are relayed as they came (``aiter_raw``: no decompression, so a
        ``Content-Encoding`` stays true); httpx reads a chunked answer, which goes back with a
        ``Content-Length``. Hop-by-hop headers belong to each connection and are not relayed.
        """
        assert self.forward_to is not None
        relayed = [(k, v) for k, v in headers.items() if k not in HOP_BY_HOP | {"host"}]
        request = httpx.Request(method, self.forward_to.geturl().rstrip("/") + target,
                                headers=relayed, content=body)
        async with self._relay_slots:  # the delay is already over: relaying takes a few ms
            answer = await self._client.send(request, stream=True)
            try:
                payload = b"".join([chunk async for chunk in answer.aiter_raw()])
            finally:
                await answer.aclose()
        kept = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers.raw
                if k.decode("latin-1").lower() not in HOP_BY_HOP | {"content-length"}]
        return _response(answer.status_code, answer.reason_phrase, payload, kept)


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """Method, target and lower-cased headers of a request head."""
    request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _response(code: int, reason: str, body: bytes, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {code} {reason}", *(f"{k}: {v}" for k, v in headers),
             f"Content-Length: {len(body)}", "Connection: keep-alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
