"""Plausible wrong answers to the exercises of lesson 01, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import os
import re

# --- 01.1 env_int ---------------------------------------------------------------------------------


def env_int_string(name, default):
    return os.environ.get(name, default)


def env_int_keyerror(name, default):
    return int(os.environ[name])


def env_int_valueerror(name, default):
    return int(os.environ.get(name, default))


def env_int_silent(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def env_int_truthy(name, default):
    return int(os.environ.get(name) or 0) or default


def env_int_vague(name, default):
    from django.core.exceptions import ImproperlyConfigured

    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise ImproperlyConfigured("invalid integer") from None


def env_int_isdigit(name, default):
    from django.core.exceptions import ImproperlyConfigured

    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ImproperlyConfigured(f"{name} must be an integer")
    return int(raw)


def env_int_via_float(name, default):
    from django.core.exceptions import ImproperlyConfigured

    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(float(raw))  # "also accepts 4.0"
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number") from None


# --- 01.2 remove_leaked_secret --------------------------------------------------------------------
_GOOD = 'SECRET_KEY = env("DJANGO_SECRET_KEY")'


def leak_double_quotes_only(source):
    return re.sub(r'(?m)^SECRET_KEY\s*=\s*".*?"', _GOOD, source)


def leak_kept_as_default(source):
    return re.sub(r"""(?m)^SECRET_KEY\s*=\s*(["'])(.*?)\1""",
                  r'SECRET_KEY = env("DJANGO_SECRET_KEY", default="\2")', source)


def leak_empty_default(source):
    return re.sub(r"""(?m)^SECRET_KEY\s*=\s*(["']).*?\1""",
                  'SECRET_KEY = env("DJANGO_SECRET_KEY", default="")', source)


def leak_every_line(source):
    return "\n".join(_GOOD if "SECRET_KEY" in line and not line.startswith("#") else line
                     for line in source.splitlines())


def leak_os_getenv(source):
    return re.sub(r"""(?m)^SECRET_KEY\s*=\s*(["']).*?\1""",
                  'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]', source)


# --- 01.3 production_settings ---------------------------------------------------------------------
_BASE = "from config.settings.base import *  # noqa: F403\nfrom config.settings.base import env\n"


def prod_default_secret():
    return _BASE + ('SECRET_KEY = env("DJANGO_SECRET_KEY", default="change-me")\nDEBUG = False\n'
                    'ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")\n')


def prod_debug_on():
    return _BASE + ('SECRET_KEY = env("DJANGO_SECRET_KEY")\nDEBUG = True\n'
                    'ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")\n')


def prod_without_base():
    return ('import environ\n\nenv = environ.Env()\nSECRET_KEY = env("DJANGO_SECRET_KEY")\n'
            'DEBUG = False\nALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")\n')


def prod_any_host():
    return _BASE + 'SECRET_KEY = env("DJANGO_SECRET_KEY")\nDEBUG = False\nALLOWED_HOSTS = ["*"]\n'


def prod_no_env_object():
    return "from config.settings.base import DATABASES\nSECRET_KEY = env('DJANGO_SECRET_KEY')\n"


WRONG_ANSWERS = {
    "01.1": [(env_int_string, "every environment variable is a string"),
             (env_int_keyerror, "fall back to the default"),
             (env_int_valueerror, "a bare ValueError"),
             (env_int_silent, "garbage must not quietly become a number"),
             (env_int_truthy, "0 is a real value"),
             (env_int_vague, "say which variable is wrong"),
             (env_int_isdigit, "negative numbers are integers too"),
             (env_int_via_float, "converting through float()")],
    "01.2": [(leak_double_quotes_only, "look at how the key is quoted"),
             (leak_kept_as_default, "a default= is still a leak"),
             (leak_empty_default, "a secret needs no default"),
             (leak_every_line, "not every line that mentions it"),
             (leak_os_getenv, "uses the draft's own env object")],
    "01.3": [(prod_default_secret, "a default secret is what ships"),
             (prod_debug_on, "production runs with debug off"),
             (prod_without_base, "start from config.settings.base"),
             (prod_any_host, "read them from DJANGO_ALLOWED_HOSTS"),
             (prod_no_env_object, "for another reason")],
}
