"""What the app stores: requests it saw, networks it refuses, addresses it wants a human to look at.

Every row here holds an IP address, which is personal data (GDPR recital 30; for a website's
log of dynamic addresses, the EU Court of Justice in Breyer, C-582/14). So each table keeps
only what its job needs and for a bounded time: ``RequestLog`` rows are deleted after
``REQUEST_LOG_RETENTION_DAYS`` and ``SuspiciousIP`` rows after ``SUSPICIOUS_IP_RETENTION_DAYS``
(``services.ip_data_purge``, daily); a block stays until someone lifts it: that is its job.
"""

import contextlib

from django.contrib.postgres.indexes import BrinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ip_tracking.addresses import WIDEST_BLOCK, parse_network


class RequestLog(models.Model):
    """One request the site answered: who (address, user), what (method, path), how (status, time).

    Rows arrive in batches from a buffer in Redis (``services.request_log_flush``), never from
    inside the request: the request only appends a line to a Redis list. A log that is lost
    while Redis is down is lost — the stdout log line of the same request is the complete
    record (``middleware.RequestLogMiddleware``).
    """

    # PostgreSQL's inet type (GenericIPAddressField): 7 bytes for an IPv4 address, compared
    # and grouped as an address, not as text. Null when the request had no usable address.
    # With REQUEST_LOG_TRUNCATE_IPS on, the network's first address (203.0.113.0).
    ip = models.GenericIPAddressField(null=True, blank=True)
    method = models.CharField(max_length=16)
    # The path only: a query string can hold tokens, emails and search terms.
    path = models.CharField(max_length=512)
    status = models.PositiveSmallIntegerField()
    timestamp = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(help_text="Time spent inside Django, ms")
    # A number, not a foreign key: logs are written in bulk and outlive their rows' users until
    # the purge; deleting a user must not have to rewrite (or cascade into) a million log rows.
    user_id = models.BigIntegerField(null=True, blank=True)
    # ISO 3166-1 alpha-2, from the address (geolocation.py); empty when unknown or local.
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [
            # Rows are appended in time order, so a BRIN index (the min and max timestamp of
            # each range of table pages: tiny next to a B-tree, and cheap to keep up on every
            # insert) is all "the last hour" and the purge need.
            BrinIndex(fields=["timestamp"], name="request_log_timestamp_brin"),
            # "What did this address do?": the question an investigation starts with.
            models.Index(fields=["ip", "timestamp"], name="request_log_ip_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status} from {self.ip or '?'}"


def validate_blockable_network(value: str) -> None:
    """An address or CIDR network (see ``parse_network``), and not absurdly wide."""
    try:
        network = parse_network(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid") from None
    widest = WIDEST_BLOCK[network.version]
    if network.prefixlen < widest:
        raise ValidationError(
            f"{network} is wider than a /{widest}: that would block "
            f"{network.num_addresses:,} addresses. Block smaller networks.", code="too_wide")


class BlockedIP(models.Model):
    """An address or a whole network that gets 403 on every request (``BlocklistMiddleware``)."""

    # Stored in canonical CIDR form ("203.0.113.7/32", "2001:db8::/32"), so one network is one
    # row whichever way it was typed; matching happens in Python against the parsed networks.
    network = models.CharField(
        max_length=43, unique=True, validators=[validate_blockable_network],
        help_text="An address (203.0.113.7) or a network in CIDR notation (203.0.113.0/24).")
    # Why, for whoever lifts it later. Never shown to the blocked client.
    reason = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "blocked IP"
        verbose_name_plural = "blocked IPs"

    def __str__(self) -> str:
        return self.network

    def clean(self) -> None:
        # The admin's form runs the validators first; a valid value is then stored canonically.
        with contextlib.suppress(ValueError):  # invalid: the field's validator reported it
            self.network = str(parse_network(self.network))


class SuspiciousIP(models.Model):
    """An address the hourly anomaly check flagged, for a human to review (and maybe block).

    One row per address and reason. Each hour that flags it again updates the row:
    ``last_seen`` moves on, ``hours_flagged`` grows, ``request_count`` is that hour's count.
    Flagging is idempotent per hour: the check run twice for one hour counts it once.
    """

    class Reason(models.TextChoices):
        VOLUME = "volume", "Too many requests in an hour"
        SENSITIVE_PATHS = "sensitive_paths", "Repeated anonymous requests to admin or login paths"

    ip = models.GenericIPAddressField()
    reason = models.CharField(max_length=32, choices=Reason.choices)
    # The count that crossed the threshold, in the latest hour flagged.
    request_count = models.PositiveIntegerField()
    hours_flagged = models.PositiveIntegerField(default=1)
    # Start of the first and of the latest hour (UTC-aligned) in which the address was flagged.
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ip", "reason"], name="suspicious_ip_unique_reason"),
        ]
        verbose_name = "suspicious IP"
        verbose_name_plural = "suspicious IPs"

    def __str__(self) -> str:
        return f"{self.ip} ({self.get_reason_display()})"
