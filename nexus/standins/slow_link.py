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
own event loop in a background thread of the process that opens it
(:class:`~nexus.standins.loop_server.LoopServer`).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

from nexus.proc import HOST
from nexus.standins.loop_server import LoopServer

__all__ = ["SlowLink"]

#: Bytes read at a time from either side.
CHUNK = 64 * 1024
#: Client connections beyond this wait for a slot: the relay stays bounded.
MAX_CONNECTIONS = 200


class SlowLink(LoopServer):
    """A TCP relay on a free loopback port to the server of ``url``, ``delay`` s further away.

    ``url`` is a service URL with a host and port (``postgres://user@127.0.0.1:5432/db``);
    :attr:`url` is the same URL pointing at the link instead.
    """

    name = "slow link"
    backlog = MAX_CONNECTIONS

    def __init__(self, url: str, *, delay: float = 0.02) -> None:
        self.target = urlsplit(url)
        if not self.target.hostname or not self.target.port:
            raise ValueError(f"SlowLink needs a URL with a host and a port, not {url!r}")
        self.delay = delay
        self.connections = 0  # client connections open now
        self.peak = 0  # the most open at once since the last reset()
        self.opened = 0  # client connections accepted since the last reset()
        self._start()

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

    def __repr__(self) -> str:
        return (f"<SlowLink {HOST}:{self.port} → {self.target.hostname}:{self.target.port}: "
                f"{self.delay * 1000:.0f} ms>")

    # --- the relay, in its own thread and event loop -------------------------------------------
    async def _opening(self) -> None:
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._writers: set[asyncio.StreamWriter] = set()

    async def _closing(self) -> None:
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
