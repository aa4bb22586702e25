"""``/healthz``: can this process serve requests? Asks the database, the cache and the broker.

A load balancer or Docker's HEALTHCHECK calls it every few seconds and takes the instance out
of rotation (or restarts it) on anything but 200. So every check is cheap and bounded by a
short timeout: a dead dependency must turn into a fast 503 that names it, never into a probe
that hangs until the prober gives up. It is a plain Django view — no authentication, no
throttling, no cache — and its answer shows which dependency failed, not how it is set up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

#: Seconds each dependency may take to answer before it counts as down.
TIMEOUT = 2.0


def check_database(timeout: float = TIMEOUT) -> None:
    """``SELECT 1`` on Django's own connection, cut off by PostgreSQL after ``timeout``."""
    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL lasts until the end of this transaction only.
        cursor.execute("SET LOCAL statement_timeout = %s", [int(timeout * 1000)])
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache(timeout: float = TIMEOUT) -> None:
    """PING the cache's Redis on a connection of its own.

    Not through ``django.core.cache``: the project's cache fails open (a dead Redis is a miss),
    which is right for pages and exactly wrong for a health check.
    """
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"],
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker(timeout: float = TIMEOUT) -> None:
    """Open (and close) a connection to Celery's broker, RabbitMQ or Redis, with no retry."""
    from config.celery_app import app

    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "max_retries": 0}
    with app.connection_for_write(connect_timeout=timeout, transport_options=options) as conn:
        conn.ensure_connection(max_retries=0, timeout=timeout)


CHECKS: dict[str, Callable[[float], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks(timeout: float = TIMEOUT) -> dict[str, dict[str, object]]:
    """Run every check; ``{name: {"ok": bool, "ms": float, "error": str}}``."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        began = time.perf_counter()
        try:
            check(timeout)
        except Exception as exc:  # any failure means "not healthy"; the reason is reported
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - began) * 1000, 1)
    return results


@never_cache
@require_GET
def healthz(request):
    """200 with each check's result when all pass; 503 naming the failing ones otherwise."""
    checks = run_checks(TIMEOUT)
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
