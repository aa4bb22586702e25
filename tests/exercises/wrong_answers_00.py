"""Plausible wrong answers to the exercises of lesson 00, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

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


def version_cursor_left_open():
    from django.db import connection

    cursor = connection.cursor()  # never closed
    cursor.execute("SHOW server_version")
    return cursor.fetchone()[0]


def version_pg_version():
    from django.db import connection

    return connection.pg_version  # an int such as 180006


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


def per_city_counts_reviews():
    from django.db.models import Count

    from listings.models import Listing

    rows = Listing.objects.values("city").annotate(n=Count("reviews"))
    return {row["city"]: row["n"] for row in rows}


_REMEMBERED: dict[str, int] = {}


def per_city_remembered():
    from django.db.models import Count

    from listings.models import Listing

    if not _REMEMBERED:  # "the seed never changes"
        rows = Listing.objects.values("city").annotate(n=Count("id"))
        _REMEMBERED.update({row["city"]: row["n"] for row in rows})
    return dict(_REMEMBERED)


WRONG_ANSWERS = {
    "00.1": [(version_row, "fetchone() returns a row"),
             (version_of_django, "ask the server, not a Python package"),
             (version_banner, "long banner of version()"),
             (version_num, "server_version_num"),
             (version_cursor_left_open, "open it in a with block"),
             (version_pg_version, "the version as a number, not text")],
    "00.2": [(mail_snapshot_too_early, "snapshot taken when you call it"),
             (mail_oldest, "oldest first"),
             (mail_never_sent, "send it with Django's send_mail()"),
             (mail_wrong_subject, "first argument you pass to send_mail()"),
             (mail_returns_subject, "nexus.mailbox() lists what the sink received")],
    "00.3": [(per_city_query_each, "N+1"),
             (per_city_active_only, "no filter (is_active included)"),
             (per_city_rows, "turn those rows into a single dict"),
             (per_city_labels, "use the stored city value"),
             (per_city_counts_reviews, "joins and multiplies the rows"),
             (per_city_remembered, "kept from an earlier call")],
}
