"""``SlowLink``: a loopback TCP relay that holds every answer for a fixed time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from nexus.proc import wait_until
from nexus.standins.slow_link import SlowLink


@pytest.fixture
def echo() -> Iterator[str]:
    """A TCP echo server on loopback, as a URL; it echoes until the client closes."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(65536):
                connection.sendall(data)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://user:password@127.0.0.1:{listener.getsockname()[1]}/db?opt=1"
    listener.close()


def round_trip(link: SlowLink, payload: bytes) -> tuple[bytes, float]:
    """Send ``payload`` through the link and read it all back: (what came back, seconds)."""
    with socket.create_connection(("127.0.0.1", link.port), timeout=5) as client:
        began = time.perf_counter()
        client.sendall(payload)
        received = b""
        while len(received) < len(payload):
            received += client.recv(65536)
        return received, time.perf_counter() - began


def test_its_url_is_the_servers_with_the_links_address(echo):
    with SlowLink(echo) as link:
        assert link.url == f"tcp://user:password@127.0.0.1:{link.port}/db?opt=1"
    with pytest.raises(ValueError, match="host and a port"):
        SlowLink("postgres:///nexus")


def test_every_answer_comes_back_late_whole_and_in_order(echo):
    payload = bytes(range(256)) * 4096  # 1 MiB: many chunks, each held, none reordered
    with SlowLink(echo, delay=0.1) as link:
        received, seconds = round_trip(link, b"ping")
        assert received == b"ping" and seconds >= 0.1
        received, seconds = round_trip(link, payload)
        assert received == payload
        assert seconds < 2  # held 0.1 s per chunk, and the chunks' holds overlap
        link.delay = 0  # a new delay applies to what arrives from now on
        assert round_trip(link, b"quick")[1] < 0.1


def test_it_counts_connections_open_at_once(echo):
    with SlowLink(echo, delay=0.2) as link:
        threads = [threading.Thread(target=round_trip, args=(link, b"x")) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert link.opened == 3 and link.peak == 3
        assert wait_until(lambda: link.connections == 0, 2)
        link.reset()
        for payload in (b"y", b"z"):  # one after another: each closed before the next opens
            round_trip(link, payload)
            assert wait_until(lambda: link.connections == 0, 2)
        assert link.opened == 2 and link.peak == 1


def test_a_refused_server_closes_the_clients_connection():
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with SlowLink(f"tcp://127.0.0.1:{port}") as link, \
            socket.create_connection(("127.0.0.1", link.port), timeout=5) as client:
        assert client.recv(1) == b""
