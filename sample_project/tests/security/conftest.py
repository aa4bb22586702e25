"""A production server for the attacker's-eye tests: gunicorn, production settings, real HTTP.

Production settings as deployed (DEBUG off, secure cookies, HTTPS redirect, hashed static
files), on pytest-django's test database and this run's cache prefix. The client plays the
TLS-terminating proxy: it sends ``X-Forwarded-Proto: https``, which production trusts.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from testsupport.production import ProductionServer, production_env

SAMPLE_PROJECT = Path(settings.BASE_DIR)


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


@pytest.fixture(scope="module")
def production(django_db_setup, static_root) -> Iterator[ProductionServer]:
    """A production server with the real throttle rates."""
    server = ProductionServer(production_env(static_root))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unthrottled(django_db_setup, static_root) -> Iterator[ProductionServer]:
    """A production server whose throttles let a whole suite of probes through."""
    server = ProductionServer(
        production_env(static_root, THROTTLE_ANON_RATE="100000/min",
                       THROTTLE_USER_RATE="100000/min", THROTTLE_LOGIN_RATE="100000/min"))
    yield server
    server.stop()
