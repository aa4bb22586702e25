"""Writes for ip_tracking (HackSoft style: every state change goes through a service).

Blocks are added and lifted here (the management commands and the admin's form call the same
validation); the request log's buffer is moved into PostgreSQL here; the hourly anomaly check
and the retention purge live here, so a test, a shell or a task calls the same code.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from ip_tracking import blocklist
from ip_tracking.addresses import parse_address, parse_network
from ip_tracking.geolocation import ip_country
from ip_tracking.models import BlockedIP, RequestLog, SuspiciousIP, validate_blockable_network
from ip_tracking.request_log import LogRecord, buffer_return, buffer_take
from ip_tracking.selectors import request_log_busiest, request_log_sensitive_anonymous

logger = logging.getLogger(__name__)


# --- the blocklist --------------------------------------------------------------------------------
def blocked_ip_add(*, network: str, reason: str) -> tuple[BlockedIP, bool]:
    """Block ``network`` (an address or CIDR network); the row, and True if it is new.

    Idempotent: blocking what is already blocked changes nothing (the first reason stays).
    Raises ``ValidationError`` for a value that is not an address or network, one that is too
    wide, or an empty reason. Every process sees the block from its next request on
    (``blocklist.py``: the save bumps the blocklist's generation once it commits).
    """
    validate_blockable_network(network)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: whoever lifts the block will want to know."})
    return BlockedIP.objects.get_or_create(network=str(parse_network(network)),
                                           defaults={"reason": reason[:255]})


def blocked_ip_remove(*, network: str) -> bool:
    """Lift the block of exactly ``network``; True if there was one.

    Raises ``ValidationError`` for a value that is not an address or network.
    """
    try:
        canonical = str(parse_network(network))
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid") from None
    deleted, _ = BlockedIP.objects.filter(network=canonical).delete()
    # A queryset delete sends post_delete per row only because a receiver listens
    # (signals.py); say it here too, so this write path doesn't depend on that.
    if deleted:
        blocklist.invalidate_on_commit()
    return deleted > 0


# --- the request log ------------------------------------------------------------------------------
def request_log_flush(*, batch_size: int = 1000, max_batches: int = 100) -> int:
    """Move buffered request records into ``RequestLog``; how many rows were inserted.

    Up to ``max_batches`` batches of ``batch_size`` lines, each taken from Redis atomically and
    inserted with one multi-row ``INSERT``; each batch's addresses are geolocated once (cached
    for a day). A batch the database refuses goes back to the head of the buffer before the
    error is raised, so a database outage loses nothing that Redis still holds.
    """
    inserted = 0
    for _ in range(max_batches):
        lines = buffer_take(batch_size)
        if not lines:
            break
        rows = _request_log_rows(lines)
        try:
            RequestLog.objects.bulk_create(rows)
        except DatabaseError:
            buffer_return(lines)
            raise
        inserted += len(rows)
        if len(lines) < batch_size:
            break
    return inserted


def _request_log_rows(lines: list[bytes]) -> list[RequestLog]:
    records = []
    for line in lines:
        try:
            records.append(LogRecord.loads(line))
        except ValueError as exc:  # never let one bad line poison the batch
            logger.warning("Skipped a request-log line: %s", exc)
    countries: dict[str, str] = {}
    rows = []
    for record in records:
        ip = _valid_ip(record.ip)
        if ip is not None and ip not in countries:
            countries[ip] = ip_country(parse_address(ip))
        rows.append(RequestLog(
            ip=ip, method=record.method[:16], path=record.path[:512], status=record.status,
            timestamp=datetime.fromtimestamp(record.timestamp, tz=UTC),
            duration_ms=max(0, record.duration_ms), user_id=record.user_id,
            country=countries.get(ip, "") if ip is not None else ""))
    return rows


def _valid_ip(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(parse_address(value))
    except ValueError:
        return None


# --- anomalies ------------------------------------------------------------------------------------
def last_full_hour(now: datetime) -> datetime:
    """The start of the last whole hour before ``now`` (UTC): 14:07 → 13:00."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def suspicious_ip_detect(*, hour_start: datetime, max_requests: int,
                         sensitive_prefixes: list[str], max_sensitive: int) -> int:
    """Flag the addresses that misbehaved in the hour from ``hour_start``; how many were flagged.

    Two rules, each a ``SuspiciousIP`` reason: more than ``max_requests`` requests in the hour
    (``VOLUME``), and at least ``max_sensitive`` anonymous requests to paths under
    ``sensitive_prefixes`` — the admin, the logins (``SENSITIVE_PATHS``). Flags are for a human
    to review; nothing is blocked automatically. Idempotent: checking one hour twice counts it
    once, so a redelivered task or a re-run after a crash changes nothing.
    """
    end = hour_start + timedelta(hours=1)
    found = [
        *((ip, SuspiciousIP.Reason.VOLUME, count) for ip, count in
          request_log_busiest(start=hour_start, end=end, more_than=max_requests).items()),
        *((ip, SuspiciousIP.Reason.SENSITIVE_PATHS, count) for ip, count in
          request_log_sensitive_anonymous(start=hour_start, end=end, prefixes=sensitive_prefixes,
                                          at_least=max_sensitive).items()),
    ]
    for ip, reason, count in found:
        _flag(ip=ip, reason=reason, count=count, hour_start=hour_start)
    return len(found)


def _flag(*, ip: str, reason: str, count: int, hour_start: datetime) -> None:
    with transaction.atomic():
        row, created = SuspiciousIP.objects.select_for_update().get_or_create(
            ip=ip, reason=reason, defaults={"request_count": count, "first_seen": hour_start,
                                            "last_seen": hour_start})
        if created:
            return
        if hour_start > row.last_seen:  # a new hour: one more flagged
            row.hours_flagged += 1
            row.last_seen = hour_start
            row.request_count = count
        elif hour_start == row.last_seen:  # the same hour again: the recount replaces it
            row.request_count = count
        else:  # an older hour checked late: it only moves first_seen back
            row.first_seen = min(row.first_seen, hour_start)
        row.save(update_fields=["hours_flagged", "last_seen", "request_count", "first_seen"])


# --- retention ------------------------------------------------------------------------------------
def ip_data_purge(*, request_logs_before: datetime, suspicious_before: datetime,
                  batch_size: int = 10_000) -> dict[str, int]:
    """Delete request logs older than ``request_logs_before`` and suspicious-IP flags last seen
    before ``suspicious_before``; how many of each.

    In batches of ``batch_size`` rows, each its own short transaction: one ``DELETE`` of a
    month of logs would hold its locks and write its WAL all at once. (At millions of rows a
    day, partition ``RequestLog`` by day and drop whole partitions instead.)
    """
    return {
        "request_logs": _delete_in_batches(
            RequestLog.objects.filter(timestamp__lt=request_logs_before), batch_size),
        "suspicious_ips": _delete_in_batches(
            SuspiciousIP.objects.filter(last_seen__lt=suspicious_before), batch_size),
    }


def _delete_in_batches(queryset, batch_size: int) -> int:
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = queryset.model.objects.filter(pk__in=ids).delete()
        deleted += count
