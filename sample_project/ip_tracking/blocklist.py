"""The blocklist as every request reads it: parsed networks in process memory, checked against a
generation counter in Redis.

A request must not query the database, nor fetch and parse a list of networks, to learn that
its address is not blocked. So each process keeps the parsed networks in memory, tagged with
the generation (``config.cache.Generation``) they were read under, and per request asks Redis
only for the generation: one ``GET`` of a number. Every write to ``BlockedIP`` bumps the
generation once its transaction commits (``signals.py`` for ``save()``/``delete()``, the
services for bulk writes), so the next request in **every** process and server sees a new
number and reads the table again, once.

While Redis is unreachable the generation reads 0: then every request reads the table (one
small query) instead of trusting a memory that nobody can invalidate. Blocked stays blocked
through a Redis outage.
"""

from __future__ import annotations

from config.cache import Generation
from ip_tracking.addresses import IPAddress, IPNetwork
from ip_tracking.selectors import blocked_ip_networks

#: The counter every blocklist write bumps (the cache's KEY_PREFIX is added by Django).
GENERATION = Generation("ip_tracking:blocklist:generation")

# (generation, networks). Replaced whole, never changed in place: a thread reads either the
# old tuple or the new one.
_memo: tuple[int, tuple[IPNetwork, ...]] | None = None


def blocked_networks() -> tuple[IPNetwork, ...]:
    """Every blocked network, parsed; the database is read only when the generation moved."""
    global _memo
    generation = GENERATION.current()
    memo = _memo
    if generation and memo is not None and memo[0] == generation:
        return memo[1]
    networks = blocked_ip_networks()
    if generation:
        _memo = (generation, networks)
    return networks


def is_blocked(address: IPAddress) -> bool:
    """True if ``address`` is inside a blocked network."""
    # A linear scan: microseconds for hundreds of networks. Tens of thousands would call for
    # a sorted list of ranges and bisect, or PostgreSQL's inet operators (>>=) with an index.
    return any(address in network for network in blocked_networks()
               if network.version == address.version)


def invalidate_on_commit() -> None:
    """Make every process re-read the blocklist once the current transaction commits."""
    GENERATION.bump_on_commit()
