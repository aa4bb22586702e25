"""No secrets in the repository: only obvious development defaults and sandbox test keys.

Scans every file git tracks (what a clone would get), so a secret can't slip in through a notebook
output, a fixture or a settings file.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from nexus.paths import REPO_ROOT

#: (name, pattern) of things that must never be committed.
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----")),
    ("AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    # Chapa live keys; test keys (CHASECK_TEST-…) are allowed, they only work in test mode.
    ("Chapa live secret key", re.compile(r"\bCHASECK-[A-Za-z0-9]{16,}")),
    ("Chapa live public key", re.compile(r"\bCHAPUBK-[A-Za-z0-9]{16,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    # A literal Django secret that is not marked as a throwaway development key.
    ("hard-coded Django SECRET_KEY",
     re.compile(r"""\bSECRET_KEY\s*=\s*["'](?!django-insecure-)[^"'\s]{20,}["']""")),
    # user:password@ in a URL, except RabbitMQ's guest/guest, documentation placeholders and
    # ${VARIABLE} references (compose files fill those in from the environment)
    ("URL with a password",
     re.compile(r"\b[a-z+]+://[^/\s:@]+:(?!(?:guest|password|<[^>]*>)@|\\?\$)[^/\s:@]{6,}@")),
]
#: Where a rule's match is expected and harmless (path prefix, rule name).
ALLOWED: set[tuple[str, str]] = {
    ("tests/test_secret_scan.py", "*"),  # the examples below
    # lesson 01 parses a made-up DATABASE_URL to show what env.db() returns
    ("notebooks/01_project_and_settings.ipynb", "URL with a password"),
}


def scan(text: str) -> list[str]:
    """The names of the rules ``text`` breaks."""
    return [name for name, pattern in RULES if pattern.search(text)]


def tracked_files() -> list[str]:
    done = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                          check=True)
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_secret_in_any_tracked_file():
    found = []
    for name in tracked_files():
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for rule in scan(text):
            if (name, rule) not in ALLOWED and (name, "*") not in ALLOWED:
                found.append(f"{name}: {rule}")
    assert found == []


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
