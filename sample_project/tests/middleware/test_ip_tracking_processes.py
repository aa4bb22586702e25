"""Across processes: the rate limit and the blocklist hold for every server sharing one Redis.

Two gunicorn servers of one worker each stand for a deployment's workers (or servers): each
is a separate process with its own memory, so a counter in a Python dict would give a client
one budget per process. The test alternates between them. Both sit "behind one proxy"
(``DJANGO_NUM_PROXIES=1``), so the client is the address the proxy appended to
``X-Forwarded-For`` and the test can be any client it likes from 127.0.0.1.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest
import requests

from ip_tracking.services import blocked_ip_add, blocked_ip_remove
from testsupport.processes import Gunicorn, test_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LIMIT = 4


@pytest.fixture(scope="module")
def servers(django_db_setup) -> Iterator[list[Gunicorn]]:
    env = test_env(DJANGO_NUM_PROXIES="1", IP_RATE_LIMIT=f"{LIMIT}/hour",
                   # DRF's own per-address throttle out of the way: this is about ours.
                   THROTTLE_ANON_RATE="100000/min")
    with Gunicorn(workers=1, env=env) as first, Gunicorn(workers=1, env=env) as second:
        yield [first, second]


def as_client(server: Gunicorn, client: str, forged: str = "") -> requests.Response:
    """GET /api/ on ``server`` as ``client``, seen through one proxy that appended its address
    to whatever X-Forwarded-For the client sent (``forged``)."""
    header = f"{forged}, {client}" if forged else client
    return requests.get(server.url("/api/"), headers={"X-Forwarded-For": header}, timeout=10)


def test_two_servers_share_one_budget_per_client(servers):
    left = 3600 - time.time() % 3600
    if left < 10:  # all requests in one fixed window
        time.sleep(left + 0.1)
    alternate = itertools.cycle(servers)
    codes = [as_client(next(alternate), "203.0.113.40").status_code for _ in range(LIMIT + 2)]
    # A per-process counter would allow 2 × LIMIT; the shared one allows LIMIT, on both servers.
    assert codes == [200] * LIMIT + [429, 429]
    refused = as_client(servers[0], "203.0.113.40")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Another client, and the same client forging a new first entry each time: its own budget,
    # and still the same exhausted one.
    assert as_client(servers[1], "203.0.113.41").status_code == 200
    assert {as_client(servers[n % 2], "203.0.113.40", forged=f"192.0.2.{n}").status_code
            for n in range(4)} == {429}


def test_a_block_and_its_lifting_reach_every_server_at_once(servers):
    client = "198.51.100.60"
    assert [as_client(server, client).status_code for server in servers] == [200, 200]
    blocked_ip_add(network="198.51.100.0/24", reason="seen on both")  # commits: bumps on commit
    assert [as_client(server, client).status_code for server in servers] == [403, 403]
    blocked_ip_remove(network="198.51.100.0/24")
    assert [as_client(server, client).status_code for server in servers] == [200, 200]
