"""ip_tracking's middleware in the request pipeline: blocklist, rate limit, maintenance window,
request log — through Django's test client, against the real Redis and PostgreSQL.

The client's address is set per request (``REMOTE_ADDR``); the addresses are the documentation
ranges (RFC 5737, RFC 3849), which belong to nobody. Blocking and unblocking commit for real
where the next request must see it (``django_capture_on_commit_callbacks(execute=True)`` runs
the on-commit invalidation that a commit would). The two-process proofs (a rate limit shared by
two servers, a block seen by both) are in ``test_ip_tracking_processes.py``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from ip_tracking.middleware import MaintenanceWindowMiddleware, RateLimitMiddleware, _user_id
from ip_tracking.models import BlockedIP, RequestLog, SuspiciousIP
from ip_tracking.request_log import LogRecord, buffer_key, buffer_length, buffer_take
from ip_tracking.services import blocked_ip_add, request_log_flush
from testsupport.clients import bearer
from testsupport.factories import UserFactory

pytestmark = pytest.mark.django_db

BLOCKED, OTHER = "203.0.113.7", "198.51.100.20"
URL = "/api/"  # the API's root: no database work of its own


def get(client, address: str, path: str = URL, **extra):
    return client.get(path, REMOTE_ADDR=address, **extra)


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """A block that commits: its on-commit invalidation runs, as after a real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])


# --- the blocklist --------------------------------------------------------------------------------
def test_a_blocked_address_gets_403_and_the_others_pass(client, committing):
    with committing():
        blocked_ip_add(network=BLOCKED, reason="password guessing")

    refused = get(client, BLOCKED)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Requests from your network are blocked.",
                              "code": "ip_blocked"}
    assert "password guessing" not in refused.content.decode()  # the reason is ours
    assert get(client, OTHER).status_code == 200


def test_the_health_check_is_never_blocked_limited_or_logged(client, committing, settings):
    """The load balancer's probe: blocking its network must not take the site down."""
    with committing():
        blocked_ip_add(network=BLOCKED, reason="the load balancer's network, by mistake")
    settings.IP_RATE_LIMIT_EXEMPT = []
    before = buffer_length()
    assert get(client, BLOCKED).status_code == 403
    assert get(client, BLOCKED, "/healthz").status_code == 200
    assert buffer_length() == before + 1  # the 403 is logged; the probe is not


def test_a_blocked_network_covers_every_address_in_it(client, committing):
    with committing():
        blocked_ip_add(network="203.0.113.0/24", reason="a hosting range")
        blocked_ip_add(network="2001:db8:bad::/48", reason="a hosting range")

    assert get(client, "203.0.113.200").status_code == 403
    assert get(client, "2001:db8:bad::1").status_code == 403
    assert get(client, "::ffff:203.0.113.9").status_code == 403  # IPv4, whichever socket
    assert get(client, "203.0.114.1").status_code == 200
    assert get(client, "2001:db8:600d::1").status_code == 200


def test_blocking_and_unblocking_show_on_the_very_next_request(client, committing):
    assert get(client, BLOCKED).status_code == 200  # this process has read the blocklist
    with committing():
        call_command("block_ip", BLOCKED, reason="scraping", stdout=None)
    assert get(client, BLOCKED).status_code == 403
    with committing():
        call_command("unblock_ip", BLOCKED, stdout=None)
    assert get(client, BLOCKED).status_code == 200


def test_a_change_in_the_admin_invalidates_the_blocklist_too(client, committing):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert get(client, "198.51.100.77").status_code == 200
    with committing():
        added = client.post("/admin/ip_tracking/blockedip/add/",
                            {"network": "198.51.100.0/24", "reason": "from the admin"})
    assert added.status_code == 302, added.content
    assert get(client, "198.51.100.77").status_code == 403
    row = BlockedIP.objects.get()
    with committing():
        client.post("/admin/ip_tracking/blockedip/", {
            "action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert not BlockedIP.objects.exists()
    assert get(client, "198.51.100.77").status_code == 200


def test_the_admin_stores_an_address_as_its_network_and_refuses_a_typo(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post("/admin/ip_tracking/blockedip/add/", {"network": " 203.0.113.9 ", "reason": "x"})
    assert list(BlockedIP.objects.values_list("network", flat=True)) == ["203.0.113.9/32"]
    refused = client.post("/admin/ip_tracking/blockedip/add/",
                          {"network": "203.0.113.9/24", "reason": "x"})
    assert refused.status_code == 200  # the form again, with the error
    assert "has host bits set: the network is 203.0.113.0/24" in refused.content.decode()


def test_a_flagged_address_is_blocked_from_the_admin_in_one_action(client, committing):
    flagged = SuspiciousIP.objects.create(ip="203.0.113.66", reason="volume", request_count=5000,
                                          first_seen=timezone.now(), last_seen=timezone.now())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert get(client, flagged.ip).status_code == 200
    with committing():
        client.post("/admin/ip_tracking/suspiciousip/",
                    {"action": "block_addresses", "_selected_action": [flagged.pk]})
    assert BlockedIP.objects.get().reason == "Flagged: Too many requests in an hour"
    assert get(client, flagged.ip).status_code == 403


def test_a_blocked_client_costs_no_query_once_the_blocklist_is_loaded(
        client, committing, django_assert_num_queries):
    with committing():
        blocked_ip_add(network=BLOCKED, reason="flood")
    get(client, OTHER)  # the first request after the change reads the table, once
    with django_assert_num_queries(0):
        assert get(client, BLOCKED).status_code == 403


# --- the rate limit -------------------------------------------------------------------------------
def fresh_window(seconds: int, margin: float = 5) -> None:
    """Wait out the end of the current fixed window if it ends within ``margin`` seconds, so a
    test's requests all fall into one window."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.05)


@pytest.fixture
def limited(settings):
    """Three requests an hour per address, nobody exempt."""
    settings.IP_RATE_LIMIT = "3/hour"
    settings.IP_RATE_LIMIT_EXEMPT = []
    fresh_window(3600)


def test_over_the_limit_a_client_gets_429_with_retry_after(client, limited):
    assert [get(client, OTHER).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(client, OTHER)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 3600
    assert f"Try again in {wait} seconds" in refused.json()["detail"]


def test_each_client_has_a_budget_of_its_own(client, limited):
    for _ in range(3):
        get(client, OTHER)
    assert get(client, OTHER).status_code == 429
    assert get(client, "198.51.100.21").status_code == 200


def test_an_ipv6_client_is_counted_per_64_network(client, limited):
    # Every address of a /64 is one subscriber: new addresses are free to take.
    codes = [get(client, f"2001:db8:1:2::{n}").status_code for n in range(1, 5)]
    assert codes == [200, 200, 200, 429]
    assert get(client, "2001:db8:1:3::1").status_code == 200  # the next /64


def test_the_counter_is_one_key_per_client_and_window_with_an_expiry(client, limited):
    get(client, OTHER)
    server = redis_client()
    try:
        keys = list(server.scan_iter(
            match=f"{django_settings.IP_TRACKING_KEY_PREFIX}:ip_tracking:rate:{OTHER}:*"))
        assert len(keys) == 1
        assert keys[0].endswith(f":{int(time.time() // 3600)}".encode())
        assert 0 < server.ttl(keys[0]) <= 3600
    finally:
        server.close()


def test_loopback_is_exempt_by_default_so_the_course_can_load_test(client, settings):
    settings.IP_RATE_LIMIT = "3/hour"  # IP_RATE_LIMIT_EXEMPT keeps its default
    fresh_window(3600)
    assert django_settings.IP_RATE_LIMIT_EXEMPT == ["127.0.0.0/8", "::1/128"]
    assert {get(client, "127.0.0.1").status_code for _ in range(6)} == {200}


def test_a_forged_forwarded_for_buys_no_fresh_budget(client, limited, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    codes = [client.get(URL, REMOTE_ADDR="10.0.0.2",
                        HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {OTHER}").status_code
             for n in range(1, 6)]
    assert codes == [200, 200, 200, 429, 429]


def test_no_limit_when_the_setting_is_empty_and_a_bad_one_refuses_to_start(settings):
    settings.IP_RATE_LIMIT = ""
    with pytest.raises(MiddlewareNotUsed):
        RateLimitMiddleware(lambda request: HttpResponse())
    settings.IP_RATE_LIMIT = "600 per minute"
    with pytest.raises(ImproperlyConfigured, match="'600 per minute' is not a rate like"):
        RateLimitMiddleware(lambda request: HttpResponse())


# --- Redis down: the limiter and the log fail open, the blocklist falls back to the database ----
def test_with_redis_down_requests_pass_unlimited_and_blocks_still_hold(
        client, private_redis, settings, committing, caplog):
    settings.CACHES = {"default": dict(django_settings.CACHES["default"],
                                       LOCATION=private_redis.url(1))}
    settings.IP_RATE_LIMIT = "2/hour"
    settings.IP_RATE_LIMIT_EXEMPT = []
    fresh_window(3600)
    with committing():
        blocked_ip_add(network=BLOCKED, reason="flood")
    caplog.set_level(logging.WARNING, logger="config.cache")
    assert [get(client, OTHER).status_code for _ in range(3)] == [200, 200, 429]

    private_redis.stop()
    began = time.monotonic()
    assert [get(client, OTHER).status_code for _ in range(5)] == [200] * 5  # failing open
    assert get(client, BLOCKED).status_code == 403  # read from the database now
    assert time.monotonic() - began < 3  # a dead Redis costs milliseconds, not timeouts
    warnings = [r.getMessage() for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1 and warnings[0].startswith("Cache unavailable (ConnectionError")

    private_redis.start()  # empty: it kept no counter
    assert [get(client, OTHER).status_code for _ in range(3)] == [200, 200, 429]
    assert caches["default"].get("anything") is None


# --- the maintenance window -----------------------------------------------------------------------
def at(local: str):
    """A fixed clock at ``local`` (HH:MM) on 8 March 2031 in the project's time zone."""
    moment = datetime.fromisoformat(f"2031-03-08T{local}").replace(
        tzinfo=timezone.get_default_timezone())
    return staticmethod(lambda: moment)


@pytest.fixture
def window(settings, monkeypatch):
    """The window 23:30-00:15 (it crosses midnight); ``window("23:45")`` sets the clock."""
    settings.MAINTENANCE_WINDOW = "23:30-00:15"
    return lambda local: monkeypatch.setattr(MaintenanceWindowMiddleware, "clock", at(local))


def test_in_the_window_writes_to_the_api_get_503_with_retry_after(client, window):
    window("23:45")
    refused = client.post("/api/bookings/", {}, content_type="application/json")
    assert refused.status_code == 503
    assert refused["Retry-After"] == str(30 * 60)  # until 00:15, across midnight
    assert refused.json()["code"] == "maintenance"
    assert client.delete("/api/wishlist/1/").status_code == 503
    window("00:14")
    assert client.patch("/api/listings/1/", {}).status_code == 503


def test_in_the_window_reads_and_the_payment_webhook_go_on(client, window):
    window("23:45")
    assert client.get("/api/listings/").status_code == 200
    assert client.head("/api/").status_code == 200
    # Not 503: Chapa's webhook is answered (here 400: this one is not signed by Chapa).
    assert client.post("/api/payments/webhook/", {}, content_type="application/json"
                       ).status_code != 503


def test_outside_the_window_writes_reach_the_api(client, window):
    for local in ("00:15", "12:00", "23:29"):
        window(local)
        assert client.post("/api/bookings/", {}, content_type="application/json"
                           ).status_code == 401  # the view's answer: log in first


def test_the_window_is_off_unless_set_and_a_bad_one_refuses_to_start(settings):
    assert django_settings.MAINTENANCE_WINDOW == ""
    with pytest.raises(MiddlewareNotUsed):
        MaintenanceWindowMiddleware(lambda request: HttpResponse())
    settings.MAINTENANCE_WINDOW = "2am-3am"
    with pytest.raises(ImproperlyConfigured, match="'2am-3am' is not a window like"):
        MaintenanceWindowMiddleware(lambda request: HttpResponse())


# --- the request log ------------------------------------------------------------------------------
def buffered() -> list[LogRecord]:
    return [LogRecord.loads(line) for line in buffer_take(1000)]


def test_each_request_is_buffered_in_redis_not_written_to_the_database(client):
    began = time.time()
    get(client, "203.0.113.9", "/api/listings/")
    assert RequestLog.objects.count() == 0  # nothing written inside the request
    [record] = buffered()
    assert (record.ip, record.method, record.path, record.status) == (
        "203.0.113.9", "GET", "/api/listings/", 200)
    assert began <= record.timestamp <= time.time()
    assert record.duration_ms >= 0 and record.user_id is None


def test_refusals_are_logged_with_their_final_status(client, limited, committing):
    with committing():
        blocked_ip_add(network=BLOCKED, reason="flood")
    get(client, BLOCKED)
    for _ in range(4):
        get(client, OTHER)
    assert [(r.ip, r.status) for r in buffered()] == [
        (BLOCKED, 403), (OTHER, 200), (OTHER, 200), (OTHER, 200), (OTHER, 429)]


def test_a_jwt_user_is_known_after_the_view_but_not_to_middleware_before_it(client_for):
    user = UserFactory()
    # What a middleware sees before the view: Django's session-based user. DRF has not
    # read the Authorization header yet (it does in APIView.initial()).
    request = RequestFactory().get(URL, HTTP_AUTHORIZATION=bearer(user))
    SessionMiddleware(lambda r: HttpResponse())(request)
    AuthenticationMiddleware(lambda r: HttpResponse())(request)
    assert not request.user.is_authenticated

    client_for(user).get("/api/bookings/", REMOTE_ADDR=OTHER)
    # After the view, DRF's Request.user setter has put the user on Django's request too.
    assert [record.user_id for record in buffered()] == [user.pk]


def test_logging_never_loads_a_user_nobody_asked_for():
    request = RequestFactory().get(URL)
    loaded = []
    request.user = SimpleLazyObject(lambda: loaded.append("session read") or None)
    assert _user_id(request) is None
    assert loaded == []


def test_a_log_line_per_request_with_the_path_quoted(client, caplog):
    caplog.set_level(logging.INFO, logger="ip_tracking.requests")
    get(client, "203.0.113.9", '/api/no"such%0Apath/')
    [line] = [r for r in caplog.records if r.name == "ip_tracking.requests"]
    message = line.getMessage()
    assert message.startswith('client=203.0.113.9 method="GET" path="/api/no\\"such\\npath/" '
                              'status=404 duration_ms=')
    assert "\n" not in message  # a path can't forge a second log line
    assert (line.client_ip, line.status, line.user_id) == ("203.0.113.9", 404, None)


def test_nul_bytes_and_very_long_paths_are_stored_safely(client):
    get(client, "203.0.113.9", "/api/x%00y/")
    get(client, "203.0.113.9", "/api/" + "a" * 3000)
    assert request_log_flush() == 2
    paths = sorted(RequestLog.objects.values_list("path", flat=True), key=len)
    assert paths[0] == "/api/x\N{REPLACEMENT CHARACTER}y/"
    assert len(paths[1]) == 512


def test_truncated_logs_keep_only_the_network(client, settings):
    settings.REQUEST_LOG_TRUNCATE_IPS = True
    get(client, "203.0.113.9")
    get(client, "2001:db8:e7:1:2:3:4:5")
    assert [record.ip for record in buffered()] == ["203.0.113.0", "2001:db8:e7::"]


def test_the_buffer_keeps_the_newest_lines_and_expires(client, settings):
    settings.REQUEST_LOG_BUFFER_MAX = 3
    for n in range(5):
        get(client, f"203.0.113.{n}")
    server = redis_client()
    try:
        assert 0 < server.ttl(buffer_key()) <= 24 * 60 * 60
    finally:
        server.close()
    assert [record.ip for record in buffered()] == ["203.0.113.2", "203.0.113.3", "203.0.113.4"]


def test_with_redis_down_the_request_is_answered_and_its_record_dropped(
        client, private_redis, settings):
    settings.CACHES = {"default": dict(django_settings.CACHES["default"],
                                       LOCATION=private_redis.url(1))}
    private_redis.stop()
    assert get(client, OTHER).status_code == 200
    private_redis.start()
    assert buffer_length() == 0


def test_switched_off_nothing_is_logged(client, settings):
    settings.REQUEST_LOG_ENABLED = False
    get(client, OTHER)
    assert buffer_length() == 0


def test_the_record_is_compact(client):
    get(client, "203.0.113.9", "/api/listings/")
    server = redis_client()
    try:
        [line] = server.lrange(buffer_key(), 0, -1)
    finally:
        server.close()
    assert len(line) < 100
    assert json.loads(line)[1:5] == ["203.0.113.9", "GET", "/api/listings/", 200]
