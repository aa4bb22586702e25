"""A slow network link on loopback: a TCP relay that delays every answer by a fixed time.

On ``127.0.0.1`` PostgreSQL answers a query in well under a millisecond, so a server waiting on
its database waits for almost nothing. A database in another data centre, or a managed one a
few network hops away, is milliseconds to tens of milliseconds away on every round trip. This
relay puts that distance back, for any TCP protocol (it never reads what it carries):

    with SlowLink(os.environ["DATABASE_URL"], delay=0.02) as link:
        nexus.serve(env={"DATABASE_URL": link.url})    # every query answered 20 ms later

Bytes from the client go to the server at once; bytes from the server come back ``delay``
seconds after they arrived, in order, so each request/answer round trip takes ``delay``
longer. ``delay`` may be changed while the link runs (new bytes get the new delay).
``connections`` and ``peak`` count the client connections open now and at most at once since
:meth:`SlowLink.reset`, which tells a client that connects once per request handled one at a
time from one handling many at once.

Like :class:`~nexus.standins.slow_upstream.SlowUpstream`, it is an asyncio server running its
own event loop in a background thread of the process that opens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Self
from urllib.parse import urlsplit, urlunsplit

from nexus.proc import HOST

__all__ = ["SlowLink"]

#: Bytes read at a time from either side.
CHUNK = 64 * 1024
#: Client connections beyond this wait for a slot: the relay stays bounded.
MAX_CONNECTIONS = 200


class SlowLink:
    """A TCP relay on a free loopback port to the server of ``url``, ``delay`` s further away.

    ``url`` is a service URL with a host and port (``postgres://user@127.0.0.1:5432/db``);
    :attr:`url` is the same URL pointing at the link instead.
    """

    def __init__(self, url: str, *, delay: float = 0.02) -> None:
        self.target = urlsplit(url)
        if not self.target.hostname or not self.target.port:
            raise ValueError(f"SlowLink needs a URL with a host and a port, not {url!r}")
        self.delay = delay
        self.connections = 0  # client connections open now
        self.peak = 0  # the most open at once since the last reset()
        self.opened = 0  # client connections accepted since the last reset()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="slow-link", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the slow link did not start within 5 s")

    # --- the public side -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The URL given, with its host and port replaced by the link's."""
        netloc = self.target.netloc.rpartition("@")
        address = f"{HOST}:{self.port}"
        return urlunsplit(self.target._replace(
            netloc=f"{netloc[0]}@{address}" if netloc[1] else address))

    def reset(self) -> None:
        """Count ``opened`` and ``peak`` from now on."""
        self.opened = 0
        self.peak = self.connections

    def stop(self) -> None:
        """Stop the link and close its connections (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._shutdown.set)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (f"<SlowLink {HOST}:{self.port} → {self.target.hostname}:{self.target.port}: "
                f"{self.delay * 1000:.0f} ms>")

    # --- the relay, in its own thread and event loop -------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._shutdown = asyncio.Event()
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._writers: set[asyncio.StreamWriter] = set()
        server = await asyncio.start_server(self._connection, HOST, 0, backlog=MAX_CONNECTIONS)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._shutdown.wait()
            server.close()
            for writer in list(self._writers):  # their pumps see the end and return
                writer.close()
            await asyncio.sleep(0.05)

    async def _connection(self, client_reader: asyncio.StreamReader,
                          client_writer: asyncio.StreamWriter) -> None:
        async with self._slots:
            self.connections += 1
            self.opened += 1
            self.peak = max(self.peak, self.connections)
            server_writer = None
            try:
                server_reader, server_writer = await asyncio.open_connection(
                    self.target.hostname, self.target.port)
                self._writers |= {client_writer, server_writer}
                await asyncio.gather(self._pump(client_reader, server_writer, delayed=False),
                                     self._pump(server_reader, client_writer, delayed=True))
            except OSError:
                pass  # the server refused or went away: the client sees its connection close
            finally:
                self.connections -= 1
                for writer in (client_writer, server_writer):
                    if writer is not None:
                        self._writers.discard(writer)
                        writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                    delayed: bool) -> None:
        """Copy ``reader`` to ``writer`` until either ends; with ``delayed``, each chunk
        ``delay`` s after it arrived (a queue keeps them in order without slowing a stream)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    return
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver()) if delayed else None
        try:
            while True:
                data = await reader.read(CHUNK)
                if sender is None:
                    if not data:
                        break
                    writer.write(data)
                    await writer.drain()
                    continue
                queue.put_nowait((loop.time() + self.delay, data))
                if not data:
                    await sender
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            if sender is not None:  # stop it if it still runs; collect what it raised
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                    await sender
            # One side ended: end the other direction too, so the other pump returns.
            with contextlib.suppress(OSError):
                if writer.can_write_eof():
                    writer.write_eof()
            writer.close()
