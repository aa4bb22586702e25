"""Reads for ip_tracking (HackSoft style: queries live here, not in views, commands or tasks)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from ip_tracking.addresses import IPNetwork, parse_network
from ip_tracking.models import BlockedIP, RequestLog


def blocked_ip_list() -> QuerySet[BlockedIP]:
    """Every block, newest first."""
    return BlockedIP.objects.order_by("-created_at", "-id")


def blocked_ip_networks() -> tuple[IPNetwork, ...]:
    """Every blocked network, parsed (one query; ``blocklist.py`` caches the result)."""
    return tuple(parse_network(network)
                 for network in BlockedIP.objects.values_list("network", flat=True))


def request_log_busiest(*, start: datetime, end: datetime, more_than: int) -> dict[str, int]:
    """``{address: requests}``: addresses with more than ``more_than`` requests in [start, end)."""
    rows = (RequestLog.objects
            .filter(timestamp__gte=start, timestamp__lt=end, ip__isnull=False)
            .values("ip").annotate(requests=Count("id")).filter(requests__gt=more_than))
    return {row["ip"]: row["requests"] for row in rows}


def request_log_sensitive_anonymous(*, start: datetime, end: datetime, prefixes: list[str],
                                    at_least: int) -> dict[str, int]:
    """``{address: requests}`` for addresses that sent at least ``at_least`` anonymous requests
    to paths under ``prefixes`` in [start, end).

    Anonymous only: staff working in the admin are logged in; a scanner or a password guesser
    is not (a failed login leaves the request anonymous).
    """
    if not prefixes:
        return {}
    under = Q()
    for prefix in prefixes:
        under |= Q(path__startswith=prefix)
    rows = (RequestLog.objects
            .filter(under, timestamp__gte=start, timestamp__lt=end, ip__isnull=False,
                    user_id__isnull=True)
            .values("ip").annotate(requests=Count("id")).filter(requests__gte=at_least))
    return {row["ip"]: row["requests"] for row in rows}
