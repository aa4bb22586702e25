"""The course databases: one migrated and seeded template, and a fresh clone per notebook.

``CREATE DATABASE … TEMPLATE`` copies a database file by file, in well under a second, so every
notebook starts from the same known data and can be re-run from the top. The template is rebuilt
when the migrations or the seed code change (a fingerprint of those files is stored as the
template's comment).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

from nexus import services
from nexus.errors import NexusError
from nexus.managed import child_environment
from nexus.paths import SAMPLE_PROJECT, SETTINGS_MODULE
from nexus.services.postgres import SERVICE as POSTGRES

TEMPLATE = "nexus_template"
#: Names this state's databases apart from another's on a shared server (``NEXUS_TENANT``):
#: two test workers, or two learners, on one external PostgreSQL.
TENANT_VAR = "NEXUS_TENANT"
#: The data every lesson starts from (``manage.py seed`` arguments).
SEED_ARGS: tuple[str, ...] = ("--listings", "200", "--seed", "42")
#: Files whose change means the template is out of date: migrations, the seed, and the
#: settings (INSTALLED_APPS brings third-party migrations, e.g. DRF's token table).
FINGERPRINT_GLOBS = ("**/migrations/*.py", "**/management/commands/*.py", "**/seed*.py",
                     "config/settings/*.py")
_LOCK_ID = 7_220_318  # pg_advisory_lock key: one template build at a time, across processes


def fingerprint() -> str:
    """A digest of everything that shapes the template's schema and data."""
    digest = hashlib.sha256(" ".join(SEED_ARGS).encode())
    files = sorted({p for g in FINGERPRINT_GLOBS for p in SAMPLE_PROJECT.glob(g) if p.is_file()})
    for path in files:
        digest.update(str(path.relative_to(SAMPLE_PROJECT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def database_name(key: str) -> str:
    """The database of a notebook: ``"05"`` → ``nexus_nb_05`` (``nexus_nb_05_gw1`` with
    ``NEXUS_TENANT=gw1``)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", key):
        raise NexusError(
            "database", f"{key!r} is not a lesson key",
            'use the lesson number as a string, e.g. nexus.start("05")',
        )
    tenant = os.environ.get(TENANT_VAR, "")
    if tenant and not re.fullmatch(r"[a-z0-9_]{1,16}", tenant):
        raise NexusError("database", f"{TENANT_VAR}={tenant!r} is not a tenant name",
                         "use up to 16 lower-case letters, digits or underscores")
    return "nexus_nb_" + key.lower().replace("-", "_") + (f"_{tenant}" if tenant else "")


def _manage(database: str, *args: str) -> None:
    env = child_environment(
        services.environment() | {"DATABASE_URL": POSTGRES.server_url(database)},
        settings=SETTINGS_MODULE,
    )
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=SAMPLE_PROJECT, env=env,
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
        raise NexusError(
            "database", f"`manage.py {' '.join(args)}` failed:\n    " + "\n    ".join(tail),
            "fix the error above in sample_project/, then run `nexus prepare`",
        )


def template_fingerprint(conn) -> str | None:
    """The fingerprint stored on the template database, or ``None`` if there is none."""
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [TEMPLATE],
    ).fetchone()
    return row[0] if row else None


def ensure_template(*, force: bool = False) -> bool:
    """Build the template if missing or out of date; returns True if it was (re)built."""
    wanted = fingerprint()
    with POSTGRES.connect() as conn:
        if not force and template_fingerprint(conn) == wanted:
            return False
        conn.execute("SELECT pg_advisory_lock(%s)", [_LOCK_ID])
        try:
            if not force and template_fingerprint(conn) == wanted:
                return False  # another process built it while we waited
            build = TEMPLATE + "_build"
            conn.execute(f'DROP DATABASE IF EXISTS "{build}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{build}"')
            _manage(build, "migrate", "--no-input", "--verbosity", "0")
            _manage(build, "seed", *SEED_ARGS)
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]
            ).fetchone()
            if exists:
                conn.execute(f'ALTER DATABASE "{TEMPLATE}" IS_TEMPLATE false')
                conn.execute(f'DROP DATABASE "{TEMPLATE}" WITH (FORCE)')
            conn.execute(f'ALTER DATABASE "{build}" RENAME TO "{TEMPLATE}"')
            conn.execute(f"COMMENT ON DATABASE \"{TEMPLATE}\" IS '{wanted}'")
            # Nobody connects to the template, so cloning never waits for a session to end.
            conn.execute(
                f'ALTER DATABASE "{TEMPLATE}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'
            )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])
    return True


def _has_migrations(database: str) -> bool:
    import psycopg

    with psycopg.connect(POSTGRES.server_url(database), connect_timeout=5) as conn:
        return conn.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()[0]


def ensure_terminal_database(*, reset: bool = False) -> tuple[str, str]:
    """Ready the database ``nexus env`` points at (``DATABASE_URL``'s, ``nexus`` when embedded)
    for ``manage.py runserver``: migrated and seeded with the course data the first time, new
    migrations applied later, never reseeded unless ``reset``. Returns (name, what was done)."""
    name = urlsplit(POSTGRES.server_url()).path.lstrip("/") or "postgres"
    if reset:
        ensure_template()
        _copy_template(name)
        return name, "is a fresh copy of the seeded course data"
    if not _has_migrations(name):
        _manage(name, "migrate", "--no-input", "--verbosity", "0")
        _manage(name, "seed", *SEED_ARGS)
        return name, "was migrated and seeded with the course data (`nexus env --reset` resets it)"
    _manage(name, "migrate", "--no-input", "--verbosity", "0")  # new migrations; a no-op if none
    return name, ""


def clone(key: str) -> str:
    """Give notebook ``key`` a fresh copy of the template; returns the database name."""
    name = database_name(key)
    _copy_template(name)
    return name


def _copy_template(name: str) -> None:
    """Replace database ``name`` with a copy of the template."""
    with POSTGRES.connect() as conn:
        # Shared lock: many clones at once are fine, but never while the template is rebuilt.
        conn.execute("SELECT pg_advisory_lock_shared(%s)", [_LOCK_ID])
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", [_LOCK_ID])
