"""``/healthz`` (config/health.py): 200 when database, cache and broker answer; a fast 503 naming
the one that doesn't.

The broken dependencies are real sockets: a port nobody listens on (refused at once) and a port
that accepts connections and never says a word (the hang a timeout exists for).
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from config import health
from config.celery_app import app as celery_app

pytestmark = pytest.mark.django_db

SAMPLE_PROJECT = Path(__file__).resolve().parents[2]
#: Seconds each check may take in these tests (the view's own default is longer).
TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _short_timeout(monkeypatch):
    monkeypatch.setattr(health, "TIMEOUT", TIMEOUT)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port nobody listens on: connections are refused at once."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def cache_at(url: str):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = url
    return override_settings(CACHES=caches)


def get_healthz(client) -> tuple[int, dict, float]:
    began = time.perf_counter()
    response = client.get("/healthz")
    return response.status_code, response.json(), time.perf_counter() - began


def test_all_dependencies_up_is_200_with_each_check(client):
    status, body, _ = get_healthz(client)

    assert status == 200, body
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "cache", "broker"]
    assert all(check["ok"] for check in body["checks"].values())
    assert "failing" not in body


def test_the_answer_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("port_kind", ["closed_port", "silent_port"])
def test_a_dead_cache_is_a_fast_503_naming_it(client, request, port_kind):
    port = request.getfixturevalue(port_kind)
    with cache_at(f"redis://127.0.0.1:{port}/1"):
        status, body, took = get_healthz(client)

    assert status == 503
    assert body["status"] == "fail" and body["failing"] == ["cache"]
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert took < 3 * TIMEOUT + 1, f"healthz took {took:.1f} s with a {port_kind}"


@pytest.mark.parametrize("port_kind", ["closed_port", "silent_port"])
def test_a_dead_broker_is_a_fast_503_naming_it(client, request, monkeypatch, port_kind):
    port = request.getfixturevalue(port_kind)
    scheme = celery_app.conf.broker_url.split("://", 1)[0]
    url = f"amqp://guest:guest@127.0.0.1:{port}//" if scheme == "amqp" \
        else f"{scheme}://127.0.0.1:{port}/2"
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    status, body, took = get_healthz(client)

    assert status == 503
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "OperationalError"
    assert took < 3 * TIMEOUT + 1, f"healthz took {took:.1f} s with a {port_kind}"


def test_every_failing_dependency_is_named(client, monkeypatch, closed_port):
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{closed_port}/2")
    with cache_at(f"redis://127.0.0.1:{closed_port}/1"):
        status, body, _ = get_healthz(client)

    assert status == 503
    assert body["failing"] == ["cache", "broker"]


def test_a_slow_database_is_cut_off_by_the_statement_timeout(monkeypatch):
    def sleepy(timeout):
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [int(timeout * 1000)])
            cursor.execute("SELECT pg_sleep(5)")

    monkeypatch.setitem(health.CHECKS, "database", sleepy)
    began = time.perf_counter()
    results = health.run_checks(TIMEOUT)

    assert results["database"]["ok"] is False
    # psycopg's QueryCanceled, as Django wraps it.
    assert results["database"]["error"] == "OperationalError"
    assert time.perf_counter() - began < 3


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.slow
def test_production_serves_healthz_over_http_and_redirects_the_rest():
    """SECURE_SSL_REDIRECT sends the API to https://; a probe on plain HTTP still gets 200."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "h = c.get('/healthz', HTTP_HOST='localhost')\n"
        "a = c.get('/api/listings/', HTTP_HOST='localhost')\n"
        "print(json.dumps([h.status_code, h.json()['status'], a.status_code, a['Location']]))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": "k3Jx9_vQ2mZr8LwTn5YbHc1sPd7GfEa4Uo6iRt0yWqXjMhNlKz-Be",
           "DJANGO_ALLOWED_HOSTS": "localhost", "DJANGO_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", script], cwd=SAMPLE_PROJECT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == \
        [200, "ok", 301, "https://localhost/api/listings/"]
