"""The course databases: template fingerprint, automatic rebuild, fresh clone per notebook."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nexus import database
from nexus.errors import NexusError
from nexus.paths import REPO_ROOT
from nexus.services.postgres import SERVICE as POSTGRES


def test_fingerprint_follows_migrations_and_seed_code(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "shop/migrations").mkdir(parents=True)
    (project / "shop/management/commands").mkdir(parents=True)
    migration = project / "shop/migrations/0001_initial.py"
    migration.write_text("operations = []\n")
    (project / "shop/management/commands/seed.py").write_text("ROWS = 10\n")
    (project / "shop/views.py").write_text("VIEW = 1\n")
    monkeypatch.setattr(database, "SAMPLE_PROJECT", project)

    first = database.fingerprint()
    (project / "shop/views.py").write_text("VIEW = 2\n")  # not schema or data: no rebuild
    assert database.fingerprint() == first
    migration.write_text("operations = ['AddField']\n")
    second = database.fingerprint()
    assert second != first
    (project / "shop/management/commands/seed.py").write_text("ROWS = 11\n")
    assert database.fingerprint() != second
    monkeypatch.setattr(database, "SEED_ARGS", ("--listings", "5"))
    assert database.fingerprint() != second


@pytest.mark.parametrize("key", ["", "05; DROP DATABASE x", "a" * 41, "../05"])
def test_bad_lesson_keys_are_refused(key):
    with pytest.raises(NexusError, match="is not a lesson key"):
        database.database_name(key)


def test_lesson_keys_map_to_database_names(monkeypatch):
    monkeypatch.delenv(database.TENANT_VAR, raising=False)
    assert database.database_name("05") == "nexus_nb_05"
    assert database.database_name("02-Exercises") == "nexus_nb_02_exercises"


def test_a_tenant_names_its_databases_apart(monkeypatch):
    """Two states on one shared PostgreSQL (test workers, learners) never share a database."""
    monkeypatch.setenv(database.TENANT_VAR, "gw1")
    assert database.database_name("05") == "nexus_nb_05_gw1"
    monkeypatch.setenv(database.TENANT_VAR, "Robert'); DROP")
    with pytest.raises(NexusError, match="is not a tenant name"):
        database.database_name("05")


def _listing_count(dbname: str) -> int:
    with POSTGRES.connect(dbname) as conn:
        return conn.execute("SELECT count(*) FROM listings_listing").fetchone()[0]


@pytest.mark.slow
def test_template_is_rebuilt_when_its_fingerprint_changes(monkeypatch):
    """A private template name, so the course template other tests use is left alone."""
    monkeypatch.setattr(database, "TEMPLATE", "nexus_template_under_test")
    monkeypatch.setattr(database, "SEED_ARGS", ("--listings", "12", "--seed", "3"))
    try:
        assert database.ensure_template(force=True) is True
        assert database.ensure_template() is False  # current: nothing to do
        name = database.clone("template-test")
        assert _listing_count(name) == 12

        monkeypatch.setattr(database, "SEED_ARGS", ("--listings", "7", "--seed", "3"))
        assert database.ensure_template() is True  # seed changed: rebuilt automatically
        assert _listing_count(database.clone("template-test")) == 7
    finally:
        with POSTGRES.connect() as conn:
            conn.execute(
                f'DROP DATABASE IF EXISTS "{database.database_name("template-test")}" WITH (FORCE)'
            )
            conn.execute('ALTER DATABASE "nexus_template_under_test" IS_TEMPLATE false')
            conn.execute('DROP DATABASE IF EXISTS "nexus_template_under_test" WITH (FORCE)')


START_AND_BREAK = """
import nexus
nexus.start("toolkit-rerun", quiet=True)
from listings.models import Listing
print(Listing.objects.count())
Listing.objects.filter(bookings__isnull=True).delete()
Listing.objects.update(title="changed by the learner")
"""


@pytest.mark.slow
def test_start_gives_a_fresh_copy_every_time():
    """Re-running a notebook from the top starts from the same data, whatever it changed."""
    counts = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", START_AND_BREAK], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        counts.append(int(done.stdout.split()[-1]))
    assert counts[0] == counts[1] == 200
    with POSTGRES.connect(database.database_name("toolkit-rerun")) as conn:
        changed = conn.execute(
            "SELECT count(*) FROM listings_listing WHERE title = 'changed by the learner'"
        ).fetchone()[0]
    assert changed > 0  # the second run really did change its own copy…
    with POSTGRES.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database.database_name("toolkit-rerun")}" '
                     "WITH (FORCE)")


def test_start_sets_up_django_with_the_notebook_database():
    script = (
        "import os, nexus; nexus.start('toolkit-env')\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['NAME'], os.environ['DJANGO_ALLOW_ASYNC_UNSAFE'],"
        " os.environ['DJANGO_SETTINGS_MODULE'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines()[0] == "Nexus · lesson toolkit-env is ready"
    name = database.database_name("toolkit-env")  # nexus_nb_toolkit_env
    assert "database  nexus_nb_toolkit-env" not in done.stdout
    assert f"database  {name}, a fresh copy" in done.stdout
    assert done.stdout.splitlines()[-1] == f"{name} true config.settings.local"
    with POSTGRES.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RERUN = """
import os, redis, nexus
nexus.start("toolkit-rerun-cache", quiet=True)
from django.core.cache import cache
cache.set("probe", "from the first run", 600)
other = redis.Redis.from_url(os.environ["REDIS_URL"])
other.set("another-notebook:1:probe", "theirs", ex=60)
nexus.start("toolkit-rerun-cache", quiet=True)
print(cache.get("probe"), other.get("another-notebook:1:probe").decode())
"""


@pytest.mark.slow
def test_rerunning_start_in_one_kernel_forgets_only_its_own_cache():
    done = subprocess.run([sys.executable, "-c", RERUN], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "theirs"]
    with POSTGRES.connect() as conn:
        name = database.database_name("toolkit-rerun-cache")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
