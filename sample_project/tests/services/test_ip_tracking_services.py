"""ip_tracking's services and the modules they stand on: blocks, the request log's flush,
geolocation, the hourly anomaly check, the retention purge, the maintenance window's clock
arithmetic and the fixed-window counter — called directly, against the real Redis and
PostgreSQL. (The Celery tasks around them: ``tasks/test_ip_tracking_tasks.py``.)
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from ip_tracking import geolocation
from ip_tracking.maintenance import MaintenanceWindow
from ip_tracking.models import BlockedIP, RequestLog, SuspiciousIP
from ip_tracking.ratelimit import Rate, rate_limit_hit
from ip_tracking.request_log import LogRecord, buffer_key, buffer_length, buffer_push
from ip_tracking.services import (
    blocked_ip_add,
    blocked_ip_remove,
    ip_data_purge,
    last_full_hour,
    request_log_flush,
    suspicious_ip_detect,
)

pytestmark = pytest.mark.django_db

ADDIS = ZoneInfo("Africa/Addis_Ababa")


def push(ip: str | None = "203.0.113.7", path: str = "/api/listings/", *, status: int = 200,
         user_id: int | None = None, at: float | None = None) -> None:
    buffer_push(LogRecord(timestamp=at or datetime.now(UTC).timestamp(), ip=ip, method="GET",
                          path=path, status=status, duration_ms=3, user_id=user_id))


# --- blocks ---------------------------------------------------------------------------------------
def test_a_block_is_stored_as_its_canonical_network_once():
    block, created = blocked_ip_add(network=" 2001:DB8::0/32 ", reason="  scanners  ")
    assert created and (block.network, block.reason) == ("2001:db8::/32", "scanners")
    again, created = blocked_ip_add(network="2001:db8::/32", reason="another reason")
    assert (again.pk, created, again.reason) == (block.pk, False, "scanners")
    single, _ = blocked_ip_add(network="203.0.113.7", reason="one address")
    assert single.network == "203.0.113.7/32"


@pytest.mark.parametrize(("network", "message"), [
    ("999.1.1.1", "'999.1.1.1' is not an IP address or a network in CIDR notation"),
    ("203.0.113.7/24", "'203.0.113.7/24' has host bits set: the network is 203.0.113.0/24"),
    ("0.0.0.0/0", "0.0.0.0/0 is wider than a /8: that would block 4,294,967,296 addresses"),
    ("2001::/16", "2001::/16 is wider than a /32"),
])
def test_bad_or_absurd_networks_are_refused_with_the_value_named(network, message):
    with pytest.raises(ValidationError) as refused:
        blocked_ip_add(network=network, reason="x")
    assert message in " ".join(refused.value.messages)
    assert not BlockedIP.objects.exists()


def test_a_block_needs_a_reason():
    with pytest.raises(ValidationError, match="Say why"):
        blocked_ip_add(network="203.0.113.7", reason="   ")


def test_removing_a_block_is_exact():
    blocked_ip_add(network="203.0.113.0/24", reason="range")
    assert blocked_ip_remove(network="203.0.113.7") is False  # inside, but not this block
    assert blocked_ip_remove(network="203.0.113.0/24") is True
    assert blocked_ip_remove(network="203.0.113.0/24") is False
    with pytest.raises(ValidationError):
        blocked_ip_remove(network="not an address")


# --- geolocation ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "country"), [
    ("192.0.2.1", "ET"), ("198.51.100.200", "KE"), ("203.0.113.7", "DE"),
    ("2001:db8::1", "US"),
    ("2001:db8:e7::1", "ET"),  # the more specific /48 wins over the /32 around it
    ("8.8.8.8", ""),  # a real address: the demo table knows none
])
def test_the_demo_table_answers_for_the_documentation_ranges(address, country):
    assert geolocation.ip_country(ipaddress.ip_address(address)) == country


def test_a_lookup_is_cached_for_a_day(monkeypatch):
    calls = []
    real = geolocation._lookup
    monkeypatch.setattr(geolocation, "_lookup", lambda address: calls.append(address) or
                        real(address))
    address = ipaddress.ip_address("198.51.100.9")
    assert [geolocation.ip_country(address) for _ in range(3)] == ["KE"] * 3
    assert calls == [address]
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    try:
        ttl = server.ttl(cache.make_key(f"ip_tracking:country:{address}"))
    finally:
        server.close()
    assert 24 * 3600 - 60 < ttl <= 24 * 3600


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "::1", "fd00::1"])
def test_local_addresses_are_answered_without_a_lookup(monkeypatch, address):
    monkeypatch.setattr(geolocation, "_lookup", lambda address: pytest.fail("looked up"))
    monkeypatch.setattr(geolocation.cache, "get_or_set", lambda *a, **k: pytest.fail("cached"))
    assert geolocation.ip_country(ipaddress.ip_address(address)) == ""


# --- the request log's flush ----------------------------------------------------------------------
def test_a_flush_moves_the_buffer_into_the_table_with_countries():
    push("203.0.113.7", user_id=42)
    push("2001:db8:e7::5", "/api/bookings/", status=401)
    push(None, "/healthz")
    assert request_log_flush() == 3
    assert buffer_length() == 0
    rows = list(RequestLog.objects.order_by("id").values_list(
        "ip", "path", "status", "country", "user_id"))
    assert rows == [("203.0.113.7", "/api/listings/", 200, "DE", 42),
                    ("2001:db8:e7::5", "/api/bookings/", 401, "ET", None),
                    (None, "/healthz", 200, "", None)]
    assert request_log_flush() == 0


def test_a_flush_goes_in_batches_and_stops_at_its_bound():
    for n in range(7):
        push(f"203.0.113.{n}")
    assert request_log_flush(batch_size=3, max_batches=2) == 6
    assert buffer_length() == 1
    assert request_log_flush(batch_size=3) == 1


def test_a_bad_line_is_skipped_and_the_rest_inserted():
    push("203.0.113.7")
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    try:
        server.rpush(buffer_key(), "not json", '["too", "short"]')
    finally:
        server.close()
    push("198.51.100.1")
    assert request_log_flush() == 2


def test_a_database_failure_puts_the_batch_back_in_order(monkeypatch):
    for n in range(3):
        push(f"203.0.113.{n}")

    def refuse(*args, **kwargs):
        raise DatabaseError("the database is down")

    monkeypatch.setattr(RequestLog.objects, "bulk_create", refuse)
    with pytest.raises(DatabaseError):
        request_log_flush()
    monkeypatch.undo()
    assert buffer_length() == 3
    assert request_log_flush() == 3
    assert list(RequestLog.objects.order_by("id").values_list("ip", flat=True)) == [
        "203.0.113.0", "203.0.113.1", "203.0.113.2"]


# --- anomalies ------------------------------------------------------------------------------------
HOUR = datetime(2031, 3, 8, 13, 0, tzinfo=UTC)


def logs(ip: str, count: int, *, path: str = "/api/listings/", user_id: int | None = None,
         at: datetime = HOUR + timedelta(minutes=30)) -> None:
    RequestLog.objects.bulk_create(
        RequestLog(ip=ip, method="GET", path=path, status=200, timestamp=at, duration_ms=1,
                   user_id=user_id) for _ in range(count))


def detect(hour: datetime = HOUR) -> int:
    return suspicious_ip_detect(hour_start=hour, max_requests=10,
                                sensitive_prefixes=["/admin/", "/api/auth/"], max_sensitive=3)


def test_an_address_over_the_hourly_volume_is_flagged():
    logs("203.0.113.7", 11)
    logs("198.51.100.1", 10)  # at the limit, not over it
    logs("198.51.100.2", 50, at=HOUR - timedelta(seconds=1))  # the hour before
    assert detect() == 1
    flag = SuspiciousIP.objects.get()
    assert (flag.ip, flag.reason, flag.request_count) == ("203.0.113.7", "volume", 11)
    assert flag.first_seen == flag.last_seen == HOUR and flag.hours_flagged == 1


def test_repeated_anonymous_hits_on_admin_and_login_paths_are_flagged():
    logs("203.0.113.7", 3, path="/admin/login/")
    logs("198.51.100.1", 2, path="/api/auth/jwt/")
    logs("198.51.100.2", 5, path="/admin/bookings/booking/", user_id=1)  # staff at work
    logs("198.51.100.3", 5, path="/api/listings/")
    assert detect() == 1
    assert list(SuspiciousIP.objects.values_list("ip", "reason", "request_count")) == [
        ("203.0.113.7", "sensitive_paths", 3)]


def test_checking_an_hour_twice_counts_it_once_and_a_new_hour_adds_one():
    logs("203.0.113.7", 12)
    detect()
    detect()
    flag = SuspiciousIP.objects.get()
    assert (flag.hours_flagged, flag.request_count) == (1, 12)
    logs("203.0.113.7", 20, at=HOUR + timedelta(hours=1, minutes=5))
    detect(HOUR + timedelta(hours=1))
    flag.refresh_from_db()
    assert (flag.hours_flagged, flag.request_count) == (2, 20)
    assert (flag.first_seen, flag.last_seen) == (HOUR, HOUR + timedelta(hours=1))


def test_the_last_full_hour_is_in_utc():
    local = datetime(2031, 3, 8, 17, 7, tzinfo=ADDIS)  # 14:07 UTC
    assert last_full_hour(local) == HOUR


# --- retention ------------------------------------------------------------------------------------
def test_the_purge_deletes_only_what_is_past_its_retention_in_batches():
    now = datetime.now(UTC)
    logs("203.0.113.7", 5, at=now - timedelta(days=31))
    logs("203.0.113.8", 2, at=now - timedelta(days=29))
    SuspiciousIP.objects.create(ip="203.0.113.7", reason="volume", request_count=9,
                                first_seen=now - timedelta(days=100),
                                last_seen=now - timedelta(days=91))
    SuspiciousIP.objects.create(ip="203.0.113.8", reason="volume", request_count=9,
                                first_seen=now, last_seen=now)
    purged = ip_data_purge(request_logs_before=now - timedelta(days=30),
                           suspicious_before=now - timedelta(days=90), batch_size=2)
    assert purged == {"request_logs": 5, "suspicious_ips": 1}
    assert set(RequestLog.objects.values_list("ip", flat=True)) == {"203.0.113.8"}
    assert list(SuspiciousIP.objects.values_list("ip", flat=True)) == ["203.0.113.8"]


# --- the maintenance window: wall-clock arithmetic -----------------------------------------------
@pytest.mark.parametrize(("text", "inside", "outside"), [
    ("02:00-02:30", ["02:00", "02:29"], ["01:59", "02:30", "14:00"]),
    ("23:30-00:15", ["23:30", "23:59", "00:00", "00:14"], ["23:29", "00:15", "12:00"]),
])
def test_a_window_contains_its_start_not_its_end_and_may_cross_midnight(text, inside, outside):
    window = MaintenanceWindow.parse(text)
    assert all(window.contains(time.fromisoformat(t)) for t in inside)
    assert not any(window.contains(time.fromisoformat(t)) for t in outside)


def test_retry_after_counts_to_the_end_of_the_window_across_midnight():
    window = MaintenanceWindow.parse("23:30-00:15")
    before_midnight = datetime(2031, 3, 8, 23, 45, tzinfo=ADDIS)
    after_midnight = datetime(2031, 3, 9, 0, 10, 30, tzinfo=ADDIS)
    assert window.seconds_left(before_midnight, ADDIS) == 30 * 60
    assert window.seconds_left(after_midnight.astimezone(UTC), ADDIS) == 4 * 60 + 30


def test_retry_after_is_right_across_a_daylight_saving_change():
    # Berlin's clocks went 02:00 → 03:00 on 30 March 2031: from 01:30 to 03:30 is one hour.
    berlin = ZoneInfo("Europe/Berlin")
    window = MaintenanceWindow.parse("01:00-03:30")
    assert window.seconds_left(datetime(2031, 3, 30, 1, 30, tzinfo=berlin), berlin) == 3600


@pytest.mark.parametrize("text", ["", "2am-3am", "25:00-26:00", "02:00-02:00", "02:00"])
def test_a_bad_window_is_refused_by_name(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        MaintenanceWindow.parse(text)


# --- the fixed-window counter --------------------------------------------------------------------
def test_a_window_counts_from_zero_and_says_when_it_ends():
    rate, address = Rate(2, 60), ipaddress.ip_address("203.0.113.50")
    start = (datetime.now(UTC).timestamp() // 60 + 10) * 60  # a window no other test uses
    verdicts = [rate_limit_hit(address, rate, now=start + second) for second in (0, 1, 59.5)]
    assert [(v.allowed, v.count) for v in verdicts] == [(True, 1), (True, 2), (False, 3)]
    assert [v.retry_after for v in verdicts] == [60, 59, 1]
    assert rate_limit_hit(address, rate, now=start + 60).count == 1  # the next window


@pytest.mark.parametrize(("text", "rate"), [
    ("600/min", Rate(600, 60)), ("10/s", Rate(10, 1)), ("5/hour", Rate(5, 3600)),
    (" 1 / day ", Rate(1, 86400)),
])
def test_rates_are_written_as_drf_writes_them(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["600", "0/min", "ten/min", "5/fortnight", "-1/s"])
def test_a_bad_rate_is_refused_by_name(text):
    with pytest.raises(ValueError, match=f"{text!r} is not a rate"):
        Rate.parse(text)


# --- the settings checks --------------------------------------------------------------------------
def test_manage_py_check_names_each_bad_setting(settings):
    from ip_tracking.checks import ip_tracking_settings

    assert ip_tracking_settings(None) == []
    settings.IP_RATE_LIMIT = "lots"
    settings.IP_RATE_LIMIT_EXEMPT = ["127.0.0.1", "localhost"]
    settings.MAINTENANCE_WINDOW = "night"
    settings.TRUSTED_PROXY_COUNT = -1
    errors = ip_tracking_settings(None)
    assert [error.id for error in errors] == [f"ip_tracking.E00{n}" for n in (1, 2, 3, 4)]
    assert errors[1].msg.startswith("IP_RATE_LIMIT_EXEMPT: 'localhost' is not an IP address")
