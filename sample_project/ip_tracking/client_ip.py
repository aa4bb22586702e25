"""Who is asking: the one function that decides a request's client address.

``REMOTE_ADDR`` is the other end of the TCP connection. Nobody can forge it and still get an
answer, but behind a proxy (a load balancer, nginx) it is the proxy. Each proxy *appends* the
address it saw to ``X-Forwarded-For``, so only the right-most entries are written by proxies
we run; everything to their left arrived in the client's own request and says whatever the
client wants. Reading the **first** entry — what most snippets do — lets any client pick its
address: a new one per request dodges a per-IP rate limit, someone else's gets them blocked.

So the settings say how many proxies stand in front of the app, ``TRUSTED_PROXY_COUNT``
(``DJANGO_NUM_PROXIES``, the same number DRF's throttles read as ``NUM_PROXIES``), and the
client is the entry that many places from the right::

    client ──> load balancer ──> gunicorn        TRUSTED_PROXY_COUNT = 1
    X-Forwarded-For: <anything the client sent>, <client>     REMOTE_ADDR: <load balancer>
                                                 ^^^^^^^^ written by our proxy: the client

With 0 (the default: nothing in front, as in the course) the header is ignored entirely.
A request that carries fewer entries than there are proxies did not come through them all;
then only ``REMOTE_ADDR`` is believed (DRF would take the left-most entry instead).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from ip_tracking.addresses import IPAddress, parse_address


def client_ip(request: HttpRequest) -> IPAddress | None:
    """The client's address, or None when there is no usable one (e.g. a Unix socket's peer)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # Repeated headers arrive joined with commas (gunicorn, RFC 9110), in order.
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= proxies:
            address = _address(entries[-proxies])
            if address is not None:
                return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def _address(value: str) -> IPAddress | None:
    """An address from a header or REMOTE_ADDR; a port some proxies add is dropped."""
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:443 (an IPv6 address has two colons or more)
        value = value.split(":", 1)[0]
    try:
        return parse_address(value)
    except ValueError:
        return None
