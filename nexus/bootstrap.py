"""``nexus.start("NN")``: the one call at the top of every notebook."""

from __future__ import annotations

import os
import sys
import uuid

from nexus import database, services
from nexus.errors import NexusError
from nexus.paths import SAMPLE_PROJECT, SETTINGS_MODULE
from nexus.services.postgres import SERVICE as POSTGRES
from nexus.worker import QUEUE_VAR, purge_queue

DATABASE_SUFFIX_VAR = "NEXUS_DATABASE_SUFFIX"


def _close_django_connections() -> str | None:
    """Close Django's connections (the database is about to be re-cloned); returns its db name."""
    from django.conf import settings

    if not settings.configured:
        return None
    from django.db import connections

    connections.close_all()
    return settings.DATABASES["default"]["NAME"]


def _forget_cached_entries() -> int:
    """Delete this kernel's cache keys (its prefix only; other notebooks share the Redis)."""
    import redis
    from django.conf import settings

    cache = settings.CACHES["default"]
    client = redis.Redis.from_url(cache["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{cache.get('KEY_PREFIX', '')}:*", count=1000))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def start(lesson: str, *, quiet: bool = False) -> None:
    """Get a notebook ready: services up, its own fresh database, Django set up.

    Safe to call again: re-running a notebook from the top starts from the same data.
    ``NEXUS_DATABASE_SUFFIX`` (set by ``nexus check``) gives a headless run its own database, so
    it never drops the one a learner's open notebook is using.
    """
    key = lesson + os.environ.get(DATABASE_SUFFIX_VAR, "")
    name = database.database_name(key)
    current = _close_django_connections() if "django" in sys.modules else None
    django_ready = current is not None
    if django_ready and current != name:
        raise NexusError(
            "nexus.start", "this kernel already runs Django on another lesson's database",
            "restart the kernel (Kernel → Restart) before starting another lesson",
        )

    states = services.up()
    services.export_environment()
    database.ensure_template()
    database.clone(key)

    os.environ["DATABASE_URL"] = POSTGRES.server_url(name)
    if django_ready:
        # Re-run in the same kernel: settings (and the key prefix) are fixed for its lifetime,
        # so forget what was cached about the copy of the database that was just replaced.
        _forget_cached_entries()
    else:
        # Cached pages and data describe this run's copy of the database: a key prefix of its
        # own (inherited by nexus.serve()'s servers) means no entry from an earlier run, or
        # from another lesson's database sharing the Redis, is ever read.
        os.environ["CACHE_KEY_PREFIX"] = f"{name}-{uuid.uuid4().hex[:8]}"
    # Each notebook database gets its own Celery queue (tasks carry ids that only mean
    # something in this database), emptied like the database is re-cloned: a message left
    # by an earlier run would name a booking of the old copy.
    os.environ[QUEUE_VAR] = name
    purge_queue(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    # A Jupyter kernel runs an asyncio event loop, so Django's guard against calling the (sync)
    # ORM from async code would refuse every query; lesson 01 explains why this is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # ipykernel sets FORCE_COLOR=1 for the programs a notebook runs, and from Python 3.13 on
    # that colours the tracebacks of the Python subprocesses a lesson prints (manage.py's):
    # PYTHON_COLORS=0 turns off only Python's own colours, so a lesson reads the same on every
    # Python and other tools keep theirs.
    os.environ["PYTHON_COLORS"] = "0"
    if str(SAMPLE_PROJECT) not in sys.path:
        sys.path.insert(0, str(SAMPLE_PROJECT))

    import django

    django.setup()
    if quiet:
        return
    print(f"Nexus · lesson {lesson} is ready")
    for state in states:
        print(f"  {state.name:<9} {state.version} ({state.where}, {state.address})")
    print(f"  {'database':<9} {name}, a fresh copy of the seeded course template")
    # major.minor only: a patch release (5.2.19 → 5.2.20) must not change a stored output.
    print(f"  {'django':<9} Django {django.VERSION[0]}.{django.VERSION[1]} with {SETTINGS_MODULE}")
