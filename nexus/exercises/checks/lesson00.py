"""Lesson 00 — welcome: talk to the real services through Django.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_00.py):

00.1 postgres_version — returns the fetched row, not its value; reports Django's or psycopg's
     version (no query); the long version() banner; server_version_num; a number
     (connection.pg_version) instead of text; a cursor opened without ``with`` and never closed.
00.2 welcome_round_trip — the mailbox snapshot taken before sending; the oldest message; nothing
     sent; the wrong subject; the subject instead of the message.
00.3 listings_per_city — a query per city; active listings only; counting joined rows (reviews,
     bookings) instead of listings; rows instead of one dict; labels instead of stored values;
     an answer kept between calls (a global, functools.cache) that misses a new listing.
"""

from __future__ import annotations

import uuid

from nexus.exercises.checks.support import (
    cursor_is_closed,
    cursors_opened,
    in_rollback,
    queries_during,
)
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("00", "Welcome: the services and the sample project")


@exercise("00.1", "Ask PostgreSQL its version")
def check_postgres_version(postgres_version) -> None:
    from django.db import connection

    with cursors_opened() as opened:
        got, queries = queries_during(postgres_version)
    left_open = [cursor for cursor in opened if not cursor_is_closed(cursor)]
    for cursor in left_open:
        cursor.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        truth = cursor.fetchone()[0]
    look = 'lesson 00, "PostgreSQL, through Django"; PostgreSQL docs: SHOW'
    if isinstance(got, tuple | list):
        raise Fail(
            expected=f"a str such as {truth.split()[0]!r}", got=f"a {type(got).__name__}: {got!r}",
            hint="fetchone() returns a row: a tuple with one value per column. Return the value, "
                 "not the row.", look=look)
    if isinstance(got, int):
        raise Fail(expected="a str, the version PostgreSQL reports",
                   got=f"an int: {got!r}",
                   hint="that is the version as a number, not text (the form made for "
                        "comparing versions): return the version as the server writes it.",
                   look=look)
    if not isinstance(got, str):
        raise Fail(expected="a str, the version PostgreSQL reports",
                   got=f"a {type(got).__name__}: {got!r}",
                   hint="return the text PostgreSQL sends back, as a str.", look=look)
    if not queries:
        raise Fail(
            expected="a query sent to PostgreSQL through django.db.connection",
            got=f"{got!r}, but no query reached the database",
            hint="ask the server, not a Python package or a constant: open a cursor on Django's "
                 "connection and execute a statement that reports the version.", look=look)
    if got.strip() != truth:
        hint = "compare your statement with what the server reports for its version setting."
        if got.startswith("PostgreSQL"):
            hint = "that is the long banner of version(); PostgreSQL also reports the bare " \
                   "version number as a run-time setting you can SHOW."
        elif got.strip().isdigit():
            hint = "that is server_version_num, the form made for comparing versions; return " \
                   "the version as people write it."
        raise Fail(expected=f"the server's version number ({truth.split()[0]!r} here)",
                   got=repr(got[:80]), hint=hint, look=look)
    if left_open:
        raise Fail(expected="the cursor closed when the function returns",
                   got=f"{len(left_open)} cursor(s) still open",
                   hint="a cursor holds resources on the connection until it is closed: open it "
                        "in a with block, which closes it however the block ends.", look=look)


@exercise("00.3", "Count the listings in each city with one query")
def check_listings_per_city(listings_per_city) -> None:
    from django.db import connection

    from listings.models import Listing

    def truth() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT city, count(*) FROM {Listing._meta.db_table} GROUP BY city")
            return dict(cursor.fetchall())

    got, queries = queries_during(listings_per_city)
    look = 'lesson 00, "3. The sample project"; Django docs: Aggregation, values() + annotate()'
    _judge_per_city(got, queries, truth(), look)

    def after_new_listings() -> tuple[object, list[str], dict[str, int]]:
        # Data changes: two new listings (one inactive) in the city with the fewest.
        current = truth()
        city = min(current, key=lambda c: (current[c], c))
        model = Listing.objects.filter(city=city).order_by("id").first()
        for active in (True, False):
            Listing.objects.create(host_id=model.host_id, title="Check 00.3 stay", city=city,
                                   address="Check street", price_per_night=model.price_per_night,
                                   max_guests=2, is_active=active)
        again, sql = queries_during(listings_per_city)
        return again, sql, truth()

    again, queries, now = in_rollback(after_new_listings)
    if not queries and again == got:
        raise Fail(expected="an answer that follows the data: two listings were added",
                   got="the same dict as before, and no query",
                   hint="the answer was kept from an earlier call (a global, functools.cache): "
                        "count again on every call, the data changes.", look=look)
    _judge_per_city(again, queries, now, look)


def _judge_per_city(got: object, queries: list[str], truth: dict[str, int], look: str) -> None:
    """Fail unless ``got`` is ``truth``, counted in one query; the hint names the mistake."""
    example = dict(sorted(truth.items())[:2])
    if not isinstance(got, dict):
        hint = "a values().annotate() queryset yields one dict per city; turn those rows into " \
               "a single dict {city: count}." if hasattr(got, "__iter__") else \
               "return a dict that maps each city to its number of listings."
        raise Fail(expected=f"a dict like {example} …", got=f"a {type(got).__name__}",
                   hint=hint, look=look)
    if len(queries) > 1:
        raise Fail(
            expected="one query: the database groups and counts",
            got=f"{len(queries)} queries",
            hint="a query per city is the N+1 pattern: let PostgreSQL do the GROUP BY with "
                 "values('city') followed by annotate(Count(...)).", look=look)
    if not queries:
        raise Fail(expected="one query to the database", got="no query at all",
                   hint="count with the ORM against the database; numbers typed in go stale "
                        "as soon as the data changes.", look=look)
    if set(got) != set(truth):
        missing = sorted(set(truth) - set(got))[:3]
        extra = sorted(set(got) - set(truth))[:3]
        raise Fail(expected=f"one key per city that has listings ({len(truth)} cities)",
                   got=f"{len(got)} keys" + (f"; missing {missing}" if missing else "")
                   + (f"; unexpected {extra}" if extra else ""),
                   hint="use the stored city value (the slug, e.g. 'addis-ababa') as the key.",
                   look=look)
    wrong = sorted(city for city in truth if got[city] != truth[city])
    if wrong:
        city = wrong[0]
        fewer = all(isinstance(got[c], int) and got[c] < truth[c] for c in wrong)
        raise Fail(
            expected=f"{city!r}: {truth[city]} (every listing in that city)",
            got=f"{city!r}: {got[city]!r} ({len(wrong)} of {len(truth)} cities differ)",
            hint="count all rows of each city: no filter (is_active included)." if fewer else
                 "more than the city's listings: counting a related table (reviews, bookings) "
                 "joins and multiplies the rows — count the listings' own ids.", look=look)


@exercise("00.2", "Send a welcome email and read it back from the SMTP sink")
def check_welcome_round_trip(welcome_round_trip) -> None:
    from django.core.mail import send_mail

    from nexus.mail import mailbox

    address = f"guest-{uuid.uuid4().hex[:8]}@nexus.example"
    # Two older messages to the same guest, so "the newest", "the first" and "the newest before
    # sending" are three different messages.
    send_mail("Your booking is pending", "We will confirm it soon.", None, [address])
    send_mail("Your booking is confirmed", "See you soon.", None, [address])
    before = len(mailbox().to(address))
    got = welcome_round_trip(address)
    received = mailbox().to(address)
    look = 'lesson 00, "SMTP, through Django\'s mail API"; Django docs: send_mail()'
    if len(received) == before:
        raise Fail(expected=f"a new message to {address} at the SMTP sink",
                   got="no new message arrived",
                   hint="send it with Django's send_mail(); the settings already point Django "
                        "at the course's SMTP sink.",
                   look=look)
    newest = received[-1]
    if newest.subject != "Welcome to Nexus Stays":
        raise Fail(expected="the subject 'Welcome to Nexus Stays'",
                   got=f"the sink received {newest.subject!r}",
                   hint="check the first argument you pass to send_mail().", look=look)
    if not hasattr(got, "subject") or not hasattr(got, "recipients"):
        raise Fail(expected="the message as the sink stored it (an item of nexus.mailbox())",
                   got=f"a {type(got).__name__}: {got!r}"[:120],
                   hint="read it back: nexus.mailbox() lists what the sink received.", look=look)
    if getattr(got, "path", None) != newest.path:
        hint = "you returned an older message: the newest is the one you just sent."
        if getattr(got, "path", None) == received[0].path:
            hint = "you returned the oldest message: the mailbox lists messages oldest first."
        elif getattr(got, "path", None) == received[-2].path:
            hint = "nexus.mailbox() is a snapshot taken when you call it: call it after sending."
        raise Fail(expected="the newest message to the guest",
                   got=f"{got.subject!r} (an older one)", hint=hint, look=look)
