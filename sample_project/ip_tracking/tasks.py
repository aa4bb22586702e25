"""Periodic work for ip_tracking, sent by Celery beat (``CELERY_BEAT_SCHEDULE``), run by a worker.

Each task reads its settings and calls a service; the logic is in ``services.py``. All three
are idempotent, so late acknowledgement is safe: a worker that dies mid-task leaves the
message to be redelivered, and the second run does what is left.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ip_tracking.services import (
    ip_data_purge,
    last_full_hour,
    request_log_flush,
    suspicious_ip_detect,
)


# A flush takes lines from the buffer atomically: a second run finds fewer, never the same.
@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def flush_request_log() -> int:
    """Move the buffered request records into ``RequestLog``; how many rows."""
    return request_log_flush()


@shared_task(acks_late=True)
def detect_suspicious_ips() -> int:
    """Flag the addresses that misbehaved in the last whole hour; how many."""
    # The hour's last requests may still wait in the buffer: flush them first.
    request_log_flush()
    return suspicious_ip_detect(
        hour_start=last_full_hour(timezone.now()),
        max_requests=settings.IP_ANOMALY_REQUESTS_PER_HOUR,
        sensitive_prefixes=settings.IP_ANOMALY_SENSITIVE_PATHS,
        max_sensitive=settings.IP_ANOMALY_SENSITIVE_REQUESTS_PER_HOUR,
    )


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def purge_ip_data() -> dict[str, int]:
    """Delete request logs and suspicious-IP flags older than their retention; how many."""
    now = timezone.now()
    return ip_data_purge(
        request_logs_before=now - timedelta(days=settings.REQUEST_LOG_RETENTION_DAYS),
        suspicious_before=now - timedelta(days=settings.SUSPICIOUS_IP_RETENTION_DAYS),
    )
