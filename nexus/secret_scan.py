"""No secrets in the repository: a scan of every file git tracks (what a clone would get).

    scan('CHAPA_SECRET_KEY = "CHASECK-…"')     # ['Chapa live secret key']
    leaks()                                    # [] when nothing tracked breaks a rule

Only obvious development defaults and sandbox test keys may be committed, so a secret can't slip
in through a notebook output, a fixture or a settings file. ``tests/test_secret_scan.py`` runs it.
"""

from __future__ import annotations

import re
import subprocess

from nexus.paths import REPO_ROOT

__all__ = ["ALLOWED", "RULES", "leaks", "scan", "tracked_files"]

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
    ("tests/test_secret_scan.py", "*"),  # the scanner's own examples of leaks
    # lesson 01 parses a made-up DATABASE_URL to show what env.db() returns
    ("notebooks/01_project_and_settings.ipynb", "URL with a password"),
}


def scan(text: str) -> list[str]:
    """The names of the rules ``text`` breaks."""
    return [name for name, pattern in RULES if pattern.search(text)]


def tracked_files() -> list[str]:
    """The paths git tracks in the repository, relative to its root."""
    done = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True,
                          check=True)
    return [name for name in done.stdout.decode().split("\0") if name]


def leaks() -> list[str]:
    """``"path: rule"`` for every tracked file that breaks a rule outside :data:`ALLOWED`."""
    found = []
    for name in tracked_files():
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for rule in scan(text):
            if (name, rule) not in ALLOWED and (name, "*") not in ALLOWED:
                found.append(f"{name}: {rule}")
    return found
