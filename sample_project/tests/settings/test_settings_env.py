"""Settings read from the environment: fail fast in production, documented everywhere."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

SAMPLE_PROJECT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = SAMPLE_PROJECT / "config" / "settings"

# Syntactically valid service URLs: `manage.py check` never connects to them.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": "postgres://nexus@127.0.0.1:5432/nexus",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "DJANGO_ALLOWED_HOSTS": "stays.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://stays.example.com",
}
# 50+ characters, many distinct, no "django-insecure-" prefix: what check --deploy wants.
STRONG_SECRET = "k3Jx9_vQ2mZr8LwTn5YbHc1sPd7GfEa4Uo6iRt0yWqXjMhNlKz-Be"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with exactly the given Django variables."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CHAPA_", "EMAIL_", "CELERY_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SAMPLE_PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=PRODUCTION_ENV)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_secrets_are_read_verbatim_even_when_they_start_with_a_dollar():
    # django-environ would read "$..." as the name of another variable; Django's own
    # get_random_secret_key() makes such a key about one time in fifty.
    secrets = {"DJANGO_SECRET_KEY": "$" + STRONG_SECRET, "CHAPA_SECRET_KEY": "$CHASECK-x",
               "CHAPA_WEBHOOK_SECRET": "$hook", "EMAIL_HOST_PASSWORD": "$mail"}
    probe = ("from django.conf import settings as s; print(s.SECRET_KEY, s.CHAPA_SECRET_KEY, "
             "s.CHAPA_WEBHOOK_SECRET, s.EMAIL_HOST_PASSWORD)")
    result = manage("shell", "--verbosity=0", "-c", probe, env={**PRODUCTION_ENV, **secrets})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == list(secrets.values())


def test_production_passes_the_deployment_checklist():
    result = manage("check", "--deploy", env={**PRODUCTION_ENV, "DJANGO_SECRET_KEY": STRONG_SECRET})

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert result.stderr == ""


def test_hsts_preload_is_off_until_a_year_long_max_age():
    # Preload is hard to undo (browsers ship the list): off by default, and refused with a
    # max-age the preload list would reject, instead of sending a header that can't work.
    probe = ("from django.conf import settings as s; "
             "print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_SECONDS)")
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": STRONG_SECRET}
    default = manage("shell", "--verbosity=0", "-c", probe, env=env)
    too_short = manage("check", env={**env, "DJANGO_SECURE_HSTS_PRELOAD": "true"})
    a_year = manage("shell", "--verbosity=0", "-c", probe, env={
        **env, "DJANGO_SECURE_HSTS_PRELOAD": "true", "DJANGO_SECURE_HSTS_SECONDS": "31536000"})

    assert default.stdout.split() == ["False", "60"], default.stderr
    assert too_short.returncode != 0
    assert "DJANGO_SECURE_HSTS_SECONDS >= 31536000" in too_short.stderr
    assert a_year.stdout.split() == ["True", "31536000"], a_year.stderr


def test_local_settings_fail_the_deployment_checklist():
    # The same check is not a rubber stamp: the dev profile must fail it.
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on


def test_database_url_is_required():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DATABASE_URL"}
    result = manage("check", env={**env, "DJANGO_SECRET_KEY": STRONG_SECRET})

    assert result.returncode != 0
    assert "Set the DATABASE_URL environment variable" in result.stderr


def test_only_postgresql_is_accepted():
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///nexus.db", "DJANGO_SECRET_KEY": "x" * 50}
    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


# --- the test profile -----------------------------------------------------------------


def test_test_profile_uses_postgresql_without_atomic_requests():
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["ATOMIC_REQUESTS"] is False


def test_cache_is_redis_with_a_per_run_prefix():
    config = settings.CACHES["default"]
    # Django's RedisCache, made to fail open while Redis is down (tests/.../test_caching.py).
    assert config["BACKEND"] == "config.cache.ResilientRedisCache"
    assert isinstance(caches["default"], RedisCache)
    assert config["LOCATION"] == os.environ["REDIS_URL"]
    # A pytest-xdist worker's run is its own: its name ends the prefix (gw0, gw1…).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    assert re.fullmatch(rf"{settings.CACHE_KEY_PREFIX}-test-[0-9a-f]{{12}}{worker}",
                        config["KEY_PREFIX"])


def test_cache_round_trips_through_redis():
    cache.set("settings-test", {"ok": True}, timeout=30)
    try:
        assert cache.get("settings-test") == {"ok": True}
    finally:
        cache.delete("settings-test")


def test_project_settings_contract():
    assert settings.AUTH_USER_MODEL == "accounts.User"
    assert settings.TIME_ZONE == "Africa/Addis_Ababa"
    assert settings.USE_TZ is True
    assert settings.DEFAULT_AUTO_FIELD == "django.db.models.BigAutoField"
    for app in ("django.contrib.postgres", "rest_framework", "drf_spectacular_sidecar"):
        assert app in settings.INSTALLED_APPS


# --- documentation and boundaries -------------------------------------------------------


def variables_read_by_settings() -> set[str]:
    pattern = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    return {
        name for path in SETTINGS_DIR.glob("*.py") for name in pattern.findall(path.read_text())
    }


def test_env_example_documents_every_variable_the_settings_read():
    read = variables_read_by_settings()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CHAPA_SECRET_KEY"} <= read
    example = (SAMPLE_PROJECT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert read - documented == set(), "add these to sample_project/.env.example"


def test_sample_project_never_imports_the_course_toolkit():
    # The project must deploy and test on its own (tests and testsupport included); the
    # toolkit sets env vars, nothing more.
    imports_toolkit = re.compile(r"^\s*(from|import)\s+nexus\b", flags=re.MULTILINE)
    offenders = [
        str(path.relative_to(SAMPLE_PROJECT))
        for path in SAMPLE_PROJECT.rglob("*.py")
        if imports_toolkit.search(path.read_text())
    ]
    assert offenders == []
