"""``nexus.start("NN")``: the one call at the top of every notebook."""

from __future__ import annotations

import os
import sys

from nexus import database, services
from nexus.errors import NexusError
from nexus.paths import SAMPLE_PROJECT
from nexus.services.postgres import SERVICE as POSTGRES

SETTINGS = "config.settings.local"
DATABASE_SUFFIX_VAR = "NEXUS_DATABASE_SUFFIX"


def _close_django_connections() -> str | None:
    """Close Django's connections (the database is about to be re-cloned); returns its db name."""
    from django.conf import settings

    if not settings.configured:
        return None
    from django.db import connections

    connections.close_all()
    return settings.DATABASES["default"]["NAME"]


def start(lesson: str, *, quiet: bool = False) -> None:
    """Get a notebook ready: services up, its own fresh database, Django set up.

    Safe to call again: re-running a notebook from the top starts from the same data.
    ``NEXUS_DATABASE_SUFFIX`` (set by ``nexus check``) gives a headless run its own database, so
    it never drops the one a learner's open notebook is using.
    """
    key = lesson + os.environ.get(DATABASE_SUFFIX_VAR, "")
    name = database.database_name(key)
    django_ready = "django" in sys.modules and _close_django_connections() is not None
    if django_ready and _close_django_connections() != name:
        raise NexusError(
            "nexus.start", "this kernel already runs Django on another lesson's database",
            "restart the kernel (Kernel → Restart) before starting another lesson",
        )

    states = services.up()
    services.export_environment()
    database.ensure_template()
    database.clone(key)

    os.environ["DATABASE_URL"] = POSTGRES.server_url(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    # A Jupyter kernel runs an asyncio event loop, so Django's guard against calling the (sync)
    # ORM from async code would refuse every query; lesson 01 explains why this is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if str(SAMPLE_PROJECT) not in sys.path:
        sys.path.insert(0, str(SAMPLE_PROJECT))

    import django

    django.setup()
    if quiet:
        return
    print(f"Nexus · lesson {lesson} is ready")
    for state in states:
        print(f"  {state.name:<9} {state.version} ({state.profile}, {state.address})")
    print(f"  {'database':<9} {name}, a fresh copy of the seeded course template")
    print(f"  {'django':<9} Django {django.get_version()} with {SETTINGS}")
