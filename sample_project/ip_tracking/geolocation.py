"""Where an address is: its country, looked up in a table shipped with the app, cached for a day.

**Demo data, not geolocation.** ``data/demo_ip_countries.csv`` maps only the address ranges
reserved for documentation — RFC 5737's 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 and
RFC 3849's 2001:db8::/32 — to example countries, so that the course runs offline and its tests
and lessons can use addresses that belong to nobody. Every real address is "unknown" here.

**In production** use a real database, e.g. Django's wrapper around MaxMind's ``geoip2``
package: ``django.contrib.gis.geoip2.GeoIP2`` reads a GeoLite2/GeoIP2 (or DB-IP) Country or City
``.mmdb`` file from the ``GEOIP_PATH`` setting, and ``GeoIP2().country_code("203.0.113.7")``
answers from it in-process; an address the file doesn't know raises
``geoip2.errors.AddressNotFoundError``. Give it parsed addresses only: handed anything else,
it resolves the text as a hostname (``socket.gethostbyname``), a DNS query per lookup. MaxMind's
files need an account and a licence, and change weekly: download them when building the image,
not at runtime. Only :func:`_lookup` below would change.

**The cache.** Each answer is kept a day in Redis (``cache.get_or_set``): addresses come back
again and again, and a lookup that goes over the network (a hosted geolocation API) costs
milliseconds and a quota. With an in-process table or ``.mmdb`` file a lookup costs
microseconds, less than the cache's round trip; the cache earns its keep once lookups cost more.
Local addresses (loopback, private networks) are answered at once, without a lookup.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from django.core.cache import cache

from ip_tracking.addresses import IPAddress, IPNetwork, is_local, parse_network

TABLE = Path(__file__).resolve().parent / "data" / "demo_ip_countries.csv"
#: A day: countries of addresses change rarely, and a stale answer only mislabels a log row.
CACHE_SECONDS = 24 * 60 * 60


def ip_country(address: IPAddress) -> str:
    """``address``'s ISO 3166 country code, "" when unknown or local; cached for a day."""
    if is_local(address):
        return ""
    return cache.get_or_set(f"ip_tracking:country:{address}", lambda: _lookup(address),
                            timeout=CACHE_SECONDS)


def _lookup(address: IPAddress) -> str:
    """The country of the most specific network in the table that holds ``address``."""
    for network, country in _table():
        if network.version == address.version and address in network:
            return country
    return ""


@functools.cache
def _table() -> tuple[tuple[IPNetwork, str], ...]:
    """The table, most specific networks first (2001:db8:e7::/48 before 2001:db8::/32)."""
    with TABLE.open(newline="", encoding="utf-8") as file:
        rows = [(parse_network(row["network"]), row["country_code"])
                for row in csv.DictReader(file)]
    return tuple(sorted(rows, key=lambda row: -row[0].prefixlen))
