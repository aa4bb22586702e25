"""No secrets in the repository: only obvious development defaults and sandbox test keys.

The scan is the toolkit's (:mod:`nexus.secret_scan`, also used by lesson 07); these tests run it
over every tracked file and prove that its rules catch real leaks and let development defaults
through.
"""

from __future__ import annotations

import pytest

from nexus.secret_scan import leaks, scan, tracked_files

#: The same in every profile (scans the repository's files):
#: the external profile's run leaves it out.
pytestmark = pytest.mark.any_profile


def test_no_secret_in_any_tracked_file():
    assert leaks() == []


def test_no_env_file_is_tracked():
    assert [n for n in tracked_files() if n.split("/")[-1] == ".env"] == []


@pytest.mark.parametrize(("text", "rule"), [
    ('SECRET_KEY = "q7#x9!w2m@p4k8z1r5t0y3u6i9o2p5a8s1d4f7"', "hard-coded Django SECRET_KEY"),
    ("CHAPA_SECRET_KEY=CHASECK-abcdefghijklmnopqrstuvwx", "Chapa live secret key"),
    ("DATABASE_URL=postgres://app:hunter2hunter2@db.internal/app", "URL with a password"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
])
def test_the_scanner_catches_real_leaks(text, rule):
    assert rule in scan(text)


@pytest.mark.parametrize("text", [
    'SECRET_KEY = env("DJANGO_SECRET_KEY")',
    'SECRET_KEY = "django-insecure-local-only-9c1f0e7a2b4d4b7c8e3a6f5d1b2c0e9f"',
    "CHAPA_SECRET_KEY=CHASECK_TEST-abcdefghijklmnopqrstuvwx",
    'TEST_SECRET_KEY = "CHASECK_TEST-nexusSandboxTestSecretKey0001"',
    "CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672//",
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/nexus",
    "DATABASE_URL: postgres://nexus:${POSTGRES_PASSWORD}@postgres:5432/nexus",
])
def test_the_scanner_lets_development_defaults_through(text):
    assert scan(text) == []
