"""Lesson 01's wrong projects (see ``wrong_projects.py``)."""

from __future__ import annotations

from .wrong_projects import Wrong

PRODUCTION = "config/settings/production.py"
LOCAL = "config/settings/local.py"
BASE = "config/settings/base.py"
#: The sample project's startup guard against a non-PostgreSQL DATABASE_URL; a learner who
#: falls back to SQLite has not written one.
NO_PG_GUARD = ('if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":',
               'if False:  # no PostgreSQL guard')

WRONG: list[Wrong] = [
    # --- 01.b1 settings split, read from the environment ---------------------------------------
    Wrong("01.b1", "no production module (only base and local)", delete=(PRODUCTION,),
          hint="one settings module per environment"),
    Wrong("01.b1", "manage.py defaults to the base settings",
          {"manage.py": [('"config.settings.local"', '"config.settings.base"')]},
          hint="set the default"),
    Wrong("01.b1", "DEBUG read with os.environ.get (the string 'false' is truthy)",
          {LOCAL: [('DEBUG = env.bool("DJANGO_DEBUG", default=True)',
                    'import os\nDEBUG = bool(os.environ.get("DJANGO_DEBUG", True))')]},
          hint="truthy"),
    Wrong("01.b1", "DEBUG hard-coded in local settings",
          {LOCAL: [('DEBUG = env.bool("DJANGO_DEBUG", default=True)', "DEBUG = True")]},
          hint="env.bool('DJANGO_DEBUG'"),
    # --- 01.b2 production refuses to start without its secret ----------------------------------
    Wrong("01.b2", "production keeps a default secret key",
          {PRODUCTION: [('SECRET_KEY = env.secret("DJANGO_SECRET_KEY")',
                         'SECRET_KEY = env("DJANGO_SECRET_KEY", '
                         'default="django-insecure-fallback-key-for-prod")')]},
          hint="no default for the production secret"),
    Wrong("01.b2", "production inherits base's DEBUG (DJANGO_DEBUG=true turns it on)",
          {PRODUCTION: [("DEBUG = False\n", "")]},
          hint="set DEBUG = False in production.py"),
    Wrong("01.b2", "production hard-codes its allowed hosts",
          {PRODUCTION: [('ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")',
                         'ALLOWED_HOSTS = ["*"]')]},
          hint="env.list('DJANGO_ALLOWED_HOSTS')"),
    Wrong("01.b2", "a missing secret raises an error that does not name the variable",
          {PRODUCTION: [('SECRET_KEY = env.secret("DJANGO_SECRET_KEY")',
                         'SECRET_KEY = env.secret("DJANGO_SECRET_KEY", default="") or '
                         '(_ for _ in ()).throw(ImproperlyConfigured("no key"))')]},
          hint="must learn which variable is missing"),
    # --- 01.b3 PostgreSQL from DATABASE_URL ------------------------------------------------------
    Wrong("01.b3", "a silent SQLite fallback when DATABASE_URL is unset",
          {BASE: [('DATABASES = {"default": env.db("DATABASE_URL")}',
                   'DATABASES = {"default": env.db("DATABASE_URL", '
                   'default="sqlite:///db.sqlite3")}'), NO_PG_GUARD]},
          hint="no default for DATABASE_URL"),
    Wrong("01.b3", "a hard-coded local PostgreSQL database",
          {BASE: [('DATABASES = {"default": env.db("DATABASE_URL")}',
                   'DATABASES = {"default": env.db_url_config('
                   '"postgres://postgres@127.0.0.1:5432/stays")}')]},
          hint="env.db('DATABASE_URL')"),
    Wrong("01.b3", "only local settings read DATABASE_URL (production keeps SQLite)",
          {BASE: [('DATABASES = {"default": env.db("DATABASE_URL")}',
                   'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", '
                   '"NAME": BASE_DIR / "db.sqlite3"}}'), NO_PG_GUARD],
           LOCAL: [("from .base import env\n",
                    'from .base import env\n\nDATABASES = {"default": env.db("DATABASE_URL")}\n')]},
          hint="in base.py"),
]
