"""ip_tracking/tasks.py: called directly (what each one does), then run by a real worker.

The worker is ``celery -A config worker`` (a subprocess, the ``worker`` fixture) on this run's
queue and the test database; no eager mode. What it writes must be committed for this process
to read, and what it reads must be committed for it to see: ``transaction=True``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from ip_tracking.models import RequestLog, SuspiciousIP
from ip_tracking.request_log import LogRecord, buffer_length, buffer_push
from ip_tracking.services import last_full_hour
from ip_tracking.tasks import detect_suspicious_ips, flush_request_log, purge_ip_data

pytestmark = pytest.mark.django_db(transaction=True)


def push(ip: str, path: str = "/api/listings/", count: int = 1, *, at=None) -> None:
    stamp = (at or timezone.now()).timestamp()
    for _ in range(count):
        buffer_push(LogRecord(timestamp=stamp, ip=ip, method="GET", path=path, status=200,
                              duration_ms=2, user_id=None))


# --- called directly -----------------------------------------------------------------------------
def test_flush_moves_the_buffer_into_the_table():
    push("203.0.113.7", count=3)
    assert flush_request_log() == 3
    assert buffer_length() == 0
    assert RequestLog.objects.filter(ip="203.0.113.7", country="DE").count() == 3


def test_detection_flushes_first_then_flags_the_last_whole_hour(settings):
    settings.IP_ANOMALY_REQUESTS_PER_HOUR = 4
    settings.IP_ANOMALY_SENSITIVE_REQUESTS_PER_HOUR = 2
    hour = last_full_hour(timezone.now())
    push("203.0.113.7", count=5, at=hour + timedelta(minutes=10))  # still in the buffer
    push("198.51.100.1", "/admin/login/", count=2, at=hour + timedelta(minutes=20))
    push("198.51.100.2", count=50)  # this hour: the next run's business
    assert detect_suspicious_ips() == 2
    flags = set(SuspiciousIP.objects.values_list("ip", "reason", "request_count", "last_seen"))
    assert flags == {("203.0.113.7", "volume", 5, hour),
                     ("198.51.100.1", "sensitive_paths", 2, hour)}
    assert detect_suspicious_ips() == 2  # a redelivered message: same flags, counted once
    assert set(SuspiciousIP.objects.values_list("hours_flagged", flat=True)) == {1}


def test_purge_keeps_the_retention_window():
    now = timezone.now()
    for days in (settings.REQUEST_LOG_RETENTION_DAYS + 1, settings.REQUEST_LOG_RETENTION_DAYS - 1):
        RequestLog.objects.create(ip="203.0.113.7", method="GET", path="/", status=200,
                                  timestamp=now - timedelta(days=days), duration_ms=1)
    assert purge_ip_data() == {"request_logs": 1, "suspicious_ips": 0}
    assert RequestLog.objects.count() == 1


def test_beat_sends_all_three():
    schedule = {entry["task"]: entry["schedule"]
                for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule[flush_request_log.name] == timedelta(seconds=10)
    assert schedule[detect_suspicious_ips.name] == timedelta(hours=1)
    assert schedule[purge_ip_data.name] == timedelta(days=1)


# --- run by a real worker -------------------------------------------------------------------------
def test_a_worker_flushes_what_requests_buffered(worker, client):
    for n in range(4):
        client.get("/api/", REMOTE_ADDR=f"198.51.100.{n}")
    assert buffer_length() == 4
    assert flush_request_log.delay().get(timeout=15) == 4
    rows = RequestLog.objects.order_by("id").values_list("ip", "path", "status", "country")
    assert list(rows) == [(f"198.51.100.{n}", "/api/", 200, "KE") for n in range(4)]


def test_a_worker_runs_the_check_and_the_purge(worker):
    hour = last_full_hour(timezone.now())
    push("203.0.113.9", count=3, at=hour + timedelta(minutes=1))
    # The worker's own settings: 3 requests are far from IP_ANOMALY_REQUESTS_PER_HOUR.
    assert detect_suspicious_ips.delay().get(timeout=15) == 0
    assert RequestLog.objects.filter(ip="203.0.113.9").count() == 3  # flushed by the worker
    assert purge_ip_data.delay().get(timeout=15) == {"request_logs": 0, "suspicious_ips": 0}
