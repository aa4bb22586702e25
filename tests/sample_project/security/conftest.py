"""A production server for the attacker's-eye tests: gunicorn, production settings, real HTTP.

Production settings as deployed (DEBUG off, secure cookies, HTTPS redirect, hashed static
files), on pytest-django's test database and this run's cache prefix. The client plays the
TLS-terminating proxy: it sends ``X-Forwarded-Proto: https``, which production trusts.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

SAMPLE_PROJECT = Path(settings.BASE_DIR)
HTTPS = {"X-Forwarded-Proto": "https"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProductionServer:
    """gunicorn serving config.wsgi with config.settings.production on a loopback port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application",
                 "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "2", "--threads", "2"],
                cwd=SAMPLE_PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()
            try:
                requests.get(self.url("/healthz"), timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")

    def url(self, path: str) -> str:
        return self.base + path

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request as the proxy forwards it (HTTPS to the client, plain HTTP to us)."""
        kwargs["headers"] = {**HTTPS, **kwargs.get("headers", {})}
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, self.url(path), **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """collectstatic's output with its manifest, as a production image builds it."""
    root = tmp_path_factory.mktemp("staticfiles")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_STATIC_ROOT": str(root)}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                   cwd=SAMPLE_PROJECT, env=env, check=True)
    return root


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    """Production settings on the test database and this run's cache prefix."""
    database = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + settings.DATABASES["default"]["NAME"]).geturl()
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # tokens made by the tests are valid
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_STATIC_ROOT": str(static_root),
           "DATABASE_URL": database,
           # Closed after each request: a transactional test's flush must find no one connected.
           "CONN_MAX_AGE": "0",
           "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
           "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def production(django_db_setup, static_root, tmp_path_factory) -> Iterator[ProductionServer]:
    """A production server with the real throttle rates."""
    server = ProductionServer(production_env(static_root),
                              tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unthrottled(django_db_setup, static_root, tmp_path_factory) -> Iterator[ProductionServer]:
    """A production server whose throttles let a whole suite of probes through."""
    server = ProductionServer(
        production_env(static_root, THROTTLE_ANON_RATE="100000/min",
                       THROTTLE_USER_RATE="100000/min", THROTTLE_LOGIN_RATE="100000/min"),
        tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    yield server
    server.stop()
