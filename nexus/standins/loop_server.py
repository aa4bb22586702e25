"""The shape of the in-process stand-ins (``SlowUpstream``, ``SlowLink``): an asyncio server on a
free loopback port that runs its own event loop in a daemon thread of the process that opens it.

Its own thread, so that a blocking client in the opener's thread (``requests`` in a notebook)
can call it; its own loop, so that one thread holds any number of connections waiting at once.
A subclass says what a connection does (``_connection``), what the loop needs before it listens
(``_opening``) and what to close after (``_closing``); its ``__init__`` ends with ``_start()``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Self

from nexus.proc import HOST

__all__ = ["LoopServer"]


class LoopServer:
    """An asyncio server in a thread of its own; :meth:`stop` or a ``with`` block ends both."""

    #: What it is called in errors; its thread is named after it.
    name = "loop server"
    #: Connections waiting to be accepted at most (the listen backlog).
    backlog = 200

    def _start(self) -> None:
        """Start the thread and return once the server listens on :attr:`port`."""
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=self.name.replace(" ", "-"),
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError(f"the {self.name} did not start within 5 s")

    def stop(self) -> None:
        """Stop the server and its thread (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._shutdown.set)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- in the server's thread and loop ---------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._shutdown = asyncio.Event()
        await self._opening()
        server = await asyncio.start_server(self._connection, HOST, 0, backlog=self.backlog)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._shutdown.wait()
            server.close()
            await self._closing()

    async def _opening(self) -> None:
        """Make what connections share (semaphores, clients), in the loop, before listening."""

    async def _closing(self) -> None:
        """Close what connections still hold, once the server no longer listens."""

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        """Serve one client connection."""
        raise NotImplementedError
