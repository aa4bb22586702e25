"""Settings for pytest (``DJANGO_SETTINGS_MODULE=config.settings.test``).

Same real services as local — PostgreSQL, Redis, SMTP — with the slow or leaky parts
changed: a fast password hasher and a cache key prefix that is new on every run.
"""

import os
import uuid

from .base import *  # noqa: F403
from .base import CACHE_KEY_PREFIX, CACHES, env

# GENERAL
# ------------------------------------------------------------------------------
# Off, as in production; a test that needs a developer's page served only with DEBUG (the
# GraphiQL IDE at /graphql) turns it on for the server it starts, with DJANGO_DEBUG=true.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.secret(
    "DJANGO_SECRET_KEY",
    default="django-insecure-test-only-5e0d2c9b8a7f4e3d2c1b0a9f8e7d6c5b",
)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

# PASSWORDS
# ------------------------------------------------------------------------------
# Hashing is deliberately slow in production; tests create many users and need no
# protection, so a fast hasher saves seconds per run.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# CACHES
# ------------------------------------------------------------------------------
# A fresh prefix per test run: keys left in Redis by an earlier (or crashed) run are
# invisible to this one, so a test can never pass because of a stale entry. The run's id
# goes into the environment, so the servers and workers a test starts (every gunicorn
# worker imports these settings again) share the run's prefix, and a write one of them
# invalidates is invalid for all.
_RUN_ID = os.environ.setdefault("NEXUS_TEST_RUN_ID", uuid.uuid4().hex[:12])
# Under pytest-xdist every worker process is a run of its own (it has a test database of its
# own, test_<name>_gw0…), so it gets keys and a queue of its own too; the processes it starts
# inherit PYTEST_XDIST_WORKER and agree.
_RUN_ID += os.environ.get("PYTEST_XDIST_WORKER", "")
CACHES["default"]["KEY_PREFIX"] = f"{CACHE_KEY_PREFIX}-test-{_RUN_ID}"
# ip_tracking's rate counters and request-log buffer under the same prefix: the run's own, and
# deleted after each test with its cache entries (tests/conftest.py).
IP_TRACKING_KEY_PREFIX = CACHES["default"]["KEY_PREFIX"]

# CELERY
# ------------------------------------------------------------------------------
# A queue of its own per test run, like the cache prefix: a message left in the broker by
# an earlier (or concurrent) run is never consumed by this run's workers. A worker the
# tests start gets the name through this variable.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default=f"nexus-test-{_RUN_ID}")

# EMAIL
# ------------------------------------------------------------------------------
# EMAIL_BACKEND stays SMTP here; note that Django's test runner (which pytest-django
# uses) swaps it for the in-memory backend during tests, so mail lands in
# ``django.core.mail.outbox`` (pytest-django's ``mailoutbox`` fixture).

# STATIC
# ------------------------------------------------------------------------------
# No collectstatic before tests: let WhiteNoise find files in the apps (as in
# development), so a test can fetch e.g. the Swagger UI bundle the docs page loads.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
