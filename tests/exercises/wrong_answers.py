"""Plausible wrong answers to every exercise, each with the hint its check must give.

A check that accepts one of these is a defect (proof 4 of the exercises issue). Used by
``probe.py`` in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import os
import re

import nexus

# --- 00.1 postgres_version ------------------------------------------------------------------------


def version_row():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()


def version_of_django():
    import django

    return django.get_version()


def version_banner():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0]


def version_num():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return cursor.fetchone()[0]


# --- 00.2 welcome_round_trip ----------------------------------------------------------------------


def mail_snapshot_too_early(address):
    from django.core.mail import send_mail

    box = nexus.mailbox()
    send_mail("Welcome to Nexus Stays", "Hello!", None, [address])
    return box.to(address)[-1]


def mail_oldest(address):
    from django.core.mail import send_mail

    send_mail("Welcome to Nexus Stays", "Hello!", None, [address])
    return nexus.mailbox().to(address)[0]


def mail_never_sent(address):
    return nexus.mailbox().to(address)[-1]


def mail_wrong_subject(address):
    from django.core.mail import send_mail

    send_mail("Welcome!", "Hello!", None, [address])
    return nexus.mailbox().to(address)[-1]


def mail_returns_subject(address):
    from django.core.mail import send_mail

    send_mail("Welcome to Nexus Stays", "Hello!", None, [address])
    return "Welcome to Nexus Stays"


# --- 00.3 listings_per_city -----------------------------------------------------------------------


def per_city_query_each():
    from listings.models import City, Listing

    counts = {city: Listing.objects.filter(city=city).count() for city in City.values}
    return {city: n for city, n in counts.items() if n}


def per_city_active_only():
    from django.db.models import Count

    from listings.models import Listing

    rows = Listing.objects.filter(is_active=True).values("city").annotate(n=Count("id"))
    return {row["city"]: row["n"] for row in rows}


def per_city_rows():
    from django.db.models import Count

    from listings.models import Listing

    return list(Listing.objects.values("city").annotate(n=Count("id")))


def per_city_labels():
    from django.db.models import Count

    from listings.models import City, Listing

    rows = Listing.objects.values("city").annotate(n=Count("id"))
    return {City(row["city"]).label: row["n"] for row in rows}


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


#: exercise id → (wrong answer, a phrase of the hint meant for it)
WRONG_ANSWERS = {
    "00.1": [(version_row, "fetchone() returns a row"),
             (version_of_django, "ask the server, not a Python package"),
             (version_banner, "long banner of version()"),
             (version_num, "server_version_num")],
    "00.2": [(mail_snapshot_too_early, "snapshot taken when you call it"),
             (mail_oldest, "oldest first"),
             (mail_never_sent, "send it with Django's send_mail()"),
             (mail_wrong_subject, "first argument you pass to send_mail()"),
             (mail_returns_subject, "nexus.mailbox() lists what the sink received")],
    "00.3": [(per_city_query_each, "N+1"),
             (per_city_active_only, "no filter (is_active included)"),
             (per_city_rows, "turn those rows into a single dict"),
             (per_city_labels, "use the stored city value")],
    "01.1": [(env_int_string, "every environment variable is a string"),
             (env_int_keyerror, "fall back to the default"),
             (env_int_valueerror, "a bare ValueError"),
             (env_int_silent, "garbage must not quietly become a number"),
             (env_int_truthy, "0 is a real value"),
             (env_int_vague, "say which variable is wrong")],
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
