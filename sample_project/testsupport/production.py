"""A production server for attacker's-eye tests: gunicorn, production settings, real HTTP.

The client plays the TLS-terminating proxy: it sends ``X-Forwarded-Proto: https``, which
production trusts.
"""

from __future__ import annotations

from pathlib import Path

import requests
from django.conf import settings

from testsupport.processes import Gunicorn, test_database_url

HTTPS = {"X-Forwarded-Proto": "https"}


class ProductionServer(Gunicorn):
    """gunicorn serving config.wsgi with config.settings.production, as deployed."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(workers=2, threads=2, env=env, config_file="gunicorn.conf.py")

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request as the proxy forwards it (HTTPS to the client, plain HTTP to us)."""
        kwargs["headers"] = {**HTTPS, **kwargs.get("headers", {})}
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, self.url(path), **kwargs)


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    """Production settings on the test database and this run's cache prefix."""
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # tokens made by the tests are valid
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_STATIC_ROOT": str(static_root),
           "DATABASE_URL": test_database_url(),
           # Closed after each request: a transactional test's flush must find no one connected.
           "CONN_MAX_AGE": "0",
           "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
           "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE}
    return env | extra
