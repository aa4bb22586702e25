"""Lesson 01's build steps: the project, settings per environment, PostgreSQL from DATABASE_URL.

The names are the sample project's: ``config/settings/{base,local,production}.py``,
``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG``, ``DJANGO_ALLOWED_HOSTS``, ``DATABASE_URL``.
"""

from __future__ import annotations

import importlib.util
import secrets
from urllib.parse import urlsplit

from nexus.build.contract import Context, Fail, contract

LOOK = "lesson 01, §2 'Settings: one package, four environments'"
LOOK_SECRET = "lesson 01, §5 'Production refuses to start without a secret'"
LOOK_ENV = "lesson 01, §3 'Configuration lives in the environment'"
PRODUCTION = {"DJANGO_SETTINGS_MODULE": "config.settings.production"}


# --- 01.b1 settings split, read from the environment ---------------------------------------------
@contract("01.b1")
def settings_are_a_package_of_three(ctx: Context) -> None:
    """config/settings/ holds base.py, local.py and production.py."""
    missing = [name for name in ("base", "local", "production")
               if importlib.util.find_spec(f"config.settings.{name}") is None]
    if missing:
        raise Fail(expected="config/settings/base.py, local.py and production.py",
                   got="missing: " + ", ".join(f"config/settings/{m}.py" for m in missing),
                   hint="one settings module per environment, the shared part in base.py: "
                        "local.py and production.py start with `from .base import *`.",
                   look=LOOK)


@contract("01.b1")
def manage_py_defaults_to_local_with_debug_from_the_environment(ctx: Context) -> None:
    """manage.py uses config.settings.local by default; DEBUG is on there unless
    DJANGO_DEBUG=false."""
    default = ctx.read_settings(["SETTINGS_MODULE", "DEBUG"],
                                drop=("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"))
    module = default["values"]["SETTINGS_MODULE"].strip("'\"") if default["ok"] else None
    if module != "config.settings.local":
        raise Fail(expected="`python manage.py …` runs with config.settings.local by default",
                   got=f"it runs with {module}" if default["ok"] else default["error"],
                   hint="in manage.py (and config/wsgi.py, config/asgi.py) set the default: "
                        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                        "'config.settings.local') — production sets the variable itself.",
                   look=LOOK)
    off = ctx.read_settings(["DEBUG"], env={"DJANGO_DEBUG": "false"})
    got = (default["values"]["DEBUG"], off["values"]["DEBUG"] if off["ok"] else off["error"])
    if got != ("True", "False"):
        raise Fail(expected="DEBUG True by default in local settings; DJANGO_DEBUG=false → False",
                   got=f"by default {got[0]}; with DJANGO_DEBUG=false {got[1]}",
                   hint="read it with django-environ: DEBUG = env.bool('DJANGO_DEBUG', "
                        "default=True) in local.py. A plain os.environ.get() returns the "
                        "string 'false', which is truthy.",
                   look=LOOK)


# --- 01.b2 production refuses to start without its secrets ---------------------------------------
@contract("01.b2")
def production_refuses_without_a_secret_key(ctx: Context) -> None:
    """Without DJANGO_SECRET_KEY, production settings stop with an error naming it."""
    found = ctx.read_settings(["SECRET_KEY"], env={**PRODUCTION,
                                                   "DJANGO_ALLOWED_HOSTS": "example.com"},
                              drop=("DJANGO_SECRET_KEY",))
    if found["ok"]:
        raise Fail(expected="production settings refuse to load without DJANGO_SECRET_KEY",
                   got=f"they loaded, with SECRET_KEY = {found['values']['SECRET_KEY'][:30]}…",
                   hint="no default for the production secret: SECRET_KEY = "
                        "env('DJANGO_SECRET_KEY') raises ImproperlyConfigured when it is unset.",
                   look=LOOK_SECRET)
    if "DJANGO_SECRET_KEY" not in found["error"]:
        raise Fail(expected="an error that names DJANGO_SECRET_KEY",
                   got=found["error"],
                   hint="the person deploying must learn which variable is missing: let "
                        "django-environ raise (it names the variable), or raise "
                        "ImproperlyConfigured('Set DJANGO_SECRET_KEY') yourself.",
                   look=LOOK_SECRET)


@contract("01.b2")
def production_uses_the_given_secret_and_no_debug(ctx: Context) -> None:
    """With DJANGO_SECRET_KEY set, production uses it, DEBUG is off, hosts come from the env."""
    key = secrets.token_urlsafe(40)
    found = ctx.read_settings(
        ["SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"],
        env={**PRODUCTION, "DJANGO_SECRET_KEY": key, "DJANGO_DEBUG": "true",
             "DJANGO_ALLOWED_HOSTS": "stays.example.com,api.example.com"})
    if not found["ok"]:
        raise Fail(expected="production settings load when DJANGO_SECRET_KEY and "
                            "DJANGO_ALLOWED_HOSTS are set",
                   got=found["error"],
                   hint="read every production value from the environment "
                        "(DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS) with django-environ.",
                   look=LOOK_SECRET)
    values = found["values"]
    if values["SECRET_KEY"] != repr(key):
        raise Fail(expected="SECRET_KEY is the value of DJANGO_SECRET_KEY",
                   got=f"SECRET_KEY = {values['SECRET_KEY'][:30]}…",
                   hint="production.py must read the key from the environment, not keep "
                        "base.py's or local.py's.", look=LOOK_SECRET)
    if values["DEBUG"] != "False":
        raise Fail(expected="DEBUG is False in production, whatever DJANGO_DEBUG says",
                   got=f"DEBUG = {values['DEBUG']} with DJANGO_DEBUG=true",
                   hint="set DEBUG = False in production.py: a debug page shows your settings "
                        "and code to anyone who triggers an error.", look=LOOK_SECRET)
    if values["ALLOWED_HOSTS"] != repr(["stays.example.com", "api.example.com"]):
        raise Fail(expected="ALLOWED_HOSTS = ['stays.example.com', 'api.example.com'] from "
                            "DJANGO_ALLOWED_HOSTS=stays.example.com,api.example.com",
                   got=f"ALLOWED_HOSTS = {values['ALLOWED_HOSTS']}",
                   hint="ALLOWED_HOSTS = env.list('DJANGO_ALLOWED_HOSTS') splits on commas.",
                   look=LOOK_SECRET)


# --- 01.b3 PostgreSQL from DATABASE_URL ---------------------------------------------------------
@contract("01.b3")
def the_database_is_postgresql_from_database_url(ctx: Context) -> None:
    """The default database is the PostgreSQL database DATABASE_URL names."""
    import os

    from django.db import connection

    wanted = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    got = f"{connection.vendor} database {connection.settings_dict.get('NAME')!r}"
    if connection.vendor != "postgresql" or connection.settings_dict.get("NAME") != wanted:
        raise Fail(expected=f"postgresql database {wanted!r} (the one DATABASE_URL names)",
                   got=got,
                   hint="DATABASES = {'default': env.db('DATABASE_URL')} in base.py: the "
                        "course sets DATABASE_URL to a PostgreSQL database for each check.",
                   look=LOOK_ENV)
    production = ctx.read_settings(
        ["DATABASES"], env={**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
                            "DJANGO_ALLOWED_HOSTS": "example.com"})
    shown = production["values"]["DATABASES"] if production["ok"] else production["error"]
    if f"'NAME': {wanted!r}" not in shown:
        raise Fail(expected=f"production settings use DATABASE_URL too ({wanted!r})",
                   got=f"production DATABASES = {shown[:160]}",
                   hint="read DATABASE_URL once, in base.py, so every environment uses the "
                        "database its environment names.", look=LOOK_ENV)


@contract("01.b3")
def no_silent_fallback_without_database_url(ctx: Context) -> None:
    """Without DATABASE_URL the project stops and names it (no silent SQLite)."""
    found = ctx.read_settings(["DATABASES"], drop=("DATABASE_URL",))
    if found["ok"]:
        raise Fail(expected="without DATABASE_URL, settings stop with an error naming it",
                   got=f"they loaded: DATABASES = {found['values']['DATABASES'][:120]}",
                   hint="no default for DATABASE_URL: a silent SQLite fallback means a server "
                        "that forgot its variable writes bookings into a file nobody backs up.",
                   look=LOOK_ENV)
    if "DATABASE_URL" not in found["error"]:
        raise Fail(expected="an error that names DATABASE_URL", got=found["error"],
                   hint="env.db('DATABASE_URL') with no default names the variable when it is "
                        "missing.", look=LOOK_ENV)
