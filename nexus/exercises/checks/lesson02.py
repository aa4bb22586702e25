"""Lesson 02 — database design and the ORM.

Every check runs the learner's code against the notebook's real PostgreSQL and compares it with
an answer computed another way (plain Python over the rows, or raw SQL). Checks that write do so
inside a transaction they roll back, so a check can be run again and again.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_02.py):

02.1 family_stays — both conditions required (AND); inactive listings kept; the price limit
     exclusive; dearest first; a list instead of the queryset; the limit cut to whole birr
     (int()); '3 or more' read as more than 3. Boundary listings (exactly 3 bedrooms, exactly 6
     guests, a price with cents equal to the limit) are added in a rolled-back transaction.
02.2 rating_by_city — a query per city; not rounded; the average of listings' averages; labels
     as keys; every review fetched and averaged in Python; an integer division in SQL.
02.3 listing_cards — no prefetching; the host only; the reviews only; re-ordering prefetched
     reviews (a query each); ratings out of written order.
02.4 stay_length_limit — 30 nights refused; 31 allowed; another name; a Python validator instead
     of a constraint; a rule the stored bookings already break.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from statistics import mean

from nexus.build.run import build_step
from nexus.exercises.checks.support import Rollback, in_rollback, queries_during
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("02", "Database design and the ORM")


# --- 02.1 -----------------------------------------------------------------------------------------
def _big(x) -> bool:
    return x.bedrooms >= 3 or x.max_guests >= 6


def _family_truth(city: str, max_price, *, big=_big, within=lambda price, limit: price <= limit,
                  active_only: bool = True) -> list[int]:
    """The ids a search answers, computed in Python over every row (by default, the right ones).

    ``big``, ``within`` and ``active_only`` can be swapped for a mistake's version, to name it.
    """
    from listings.models import Listing

    rows = [
        listing for listing in Listing.objects.all()
        if (listing.is_active or not active_only) and listing.city == city
        and within(listing.price_per_night, max_price) and big(listing)
    ]
    return [listing.pk for listing in sorted(rows, key=lambda x: (x.price_per_night, x.pk))]


@exercise("02.1", "family_stays: a search with Q objects")
def check_family_stays(family_stays) -> None:
    from listings.models import Listing

    look = 'lesson 02, "4. Querysets: asking questions" (Filters, Q)'

    def at_the_boundaries() -> None:
        # A listing at each edge of the rule: exactly 3 bedrooms, exactly room for 6, both, one
        # well over; prices with cents at, just under and just over a limit with cents.
        host = Listing.objects.order_by("id").first().host
        limit = Decimal("2345.50")
        for bedrooms, guests, price in ((3, 2, limit), (1, 6, limit - Decimal("0.25")),
                                        (2, 5, limit - 200), (3, 2, limit + Decimal("0.01")),
                                        (4, 2, limit - 300), (3, 6, limit - 400)):
            Listing.objects.create(host=host, title=f"Check 02.1 {bedrooms}/{guests}",
                                   city="axum", address="Check street", price_per_night=price,
                                   max_guests=guests, bedrooms=bedrooms)
        _judge_family(family_stays, "axum", limit, look)

    in_rollback(at_the_boundaries)
    family = [x for x in Listing.objects.filter(is_active=True, city="addis-ababa") if _big(x)]
    # A limit equal to a real price, so "at most" is tested at its edge on the seed too.
    edge = sorted(x.price_per_night for x in family)[len(family) // 2]
    for city, max_price in (("addis-ababa", edge), ("hawassa", 5000), ("gondar", 2500)):
        _judge_family(family_stays, city, max_price, look)


def _judge_family(family_stays, city: str, max_price, look: str) -> None:
    """Fail unless ``family_stays(city, max_price)`` is the truth; the hint names the mistake."""
    from django.db.models import QuerySet

    from listings.models import Listing

    got = family_stays(city, max_price)
    call = f"family_stays({city!r}, {max_price})"
    if not isinstance(got, QuerySet) or got.model is not Listing:
        raise Fail(expected=f"{call} → a QuerySet of Listing",
                   got=f"a {type(got).__name__}",
                   hint="return the queryset itself, not a list: a queryset can still be "
                        "paginated, counted or filtered further by whoever calls you.",
                   look=look)
    truth = _family_truth(city, max_price)
    ids = [listing.pk for listing in got]
    if ids == truth:
        return
    mistakes = [
        (dict(active_only=False),
         "inactive listings are not offered to guests: leave them out."),
        (dict(big=lambda x: x.bedrooms >= 3 and x.max_guests >= 6),
         "either condition is enough (3+ bedrooms OR room for 6): keyword arguments and commas "
         "mean AND; combine the two conditions with | between Q objects."),
        (dict(big=lambda x: x.bedrooms > 3 or x.max_guests > 6),
         "'3 or more bedrooms' includes exactly 3 (and 'room for 6 or more', exactly 6): check "
         "the lookups on bedrooms and max_guests."),
        (dict(within=lambda price, limit: price <= int(limit)),
         f"the limit has cents ({max_price}): turning it into whole birr drops the listings "
         "priced between the two. Compare with the value as given."),
        (dict(within=lambda price, limit: price < limit),
         "'at most 2,500' includes a place at exactly 2,500: check the lookup you use on the "
         "price."),
    ]
    hint = next((hint for changes, hint in mistakes
                 if set(ids) == set(_family_truth(city, max_price, **changes))), None)
    if hint is None and set(ids) == set(truth):
        hint = "the right listings in the wrong order: cheapest first, and listings with the " \
               "same price by id, so the order is the same every time."
    if hint is None:
        hint = "compare your filters with the task: the city, the price limit, active listings " \
               "only, and 3+ bedrooms or room for 6 guests."
    raise Fail(expected=f"{call} → {len(truth)} listings, ids {truth[:6]}…",
               got=f"{len(ids)} listings, ids {ids[:6]}…", hint=hint, look=look)


# --- 02.2 -----------------------------------------------------------------------------------------
@exercise("02.2", "rating_by_city: an aggregation in one query")
def check_rating_by_city(rating_by_city) -> None:
    from django.db import connection

    look = 'lesson 02, "Annotations and aggregations"'
    got, queries = queries_during(rating_by_city)
    with connection.cursor() as cursor:
        cursor.execute("SELECT l.city, avg(r.rating) FROM bookings_review r "
                       "JOIN listings_listing l ON l.id = r.listing_id GROUP BY l.city")
        truth = {city: round(float(value), 2) for city, value in cursor.fetchall()}
        cursor.execute("SELECT l.city, avg(r.rating) FROM bookings_review r JOIN "
                       "listings_listing l ON l.id = r.listing_id GROUP BY l.city, l.id")
        per_listing: dict[str, list[float]] = {}
        for city, value in cursor.fetchall():
            per_listing.setdefault(city, []).append(float(value))
    of_averages = {city: round(mean(values), 2) for city, values in per_listing.items()}
    example = dict(sorted(truth.items())[:2])
    if not isinstance(got, dict):
        raise Fail(expected=f"a dict like {example} …", got=f"a {type(got).__name__}",
                   hint="turn the grouped rows into one dict {city: average}.", look=look)
    if len(queries) > 1:
        raise Fail(expected="one query: the database groups and averages",
                   got=f"{len(queries)} queries",
                   hint="a query per city grows with the number of cities: let PostgreSQL "
                        "group the reviews by their listing's city in a single query.", look=look)
    if queries and "GROUP BY" not in queries[0].upper():
        raise Fail(expected="the database averages: one query with GROUP BY",
                   got="one query without GROUP BY",
                   hint="fetching every review to average in Python moves the whole table to "
                        "Python for a few numbers: let PostgreSQL group and average (values() "
                        "then annotate(Avg(...))).", look=look)
    if set(got) != set(truth):
        raise Fail(expected=f"one key per city with reviews ({len(truth)}), e.g. {example}",
                   got=f"keys such as {sorted(got)[:3]}",
                   hint="use the stored city value (the slug, e.g. 'addis-ababa') as the key.",
                   look=look)
    for city in sorted(truth):
        value = got[city]
        if not isinstance(value, int | float | Decimal):
            raise Fail(expected=f"{city!r}: {truth[city]}", got=f"{city!r}: {value!r}",
                       hint="each value is a number: the average rating.", look=look)
        if float(value) == truth[city]:
            continue
        if round(float(value), 2) == truth[city]:
            hint = "the right average, not rounded: round it to 2 decimals (in the database " \
                   "or in Python)."
        elif float(value) == int(truth[city]) and float(value).is_integer():
            hint = "a whole number: dividing two integers in SQL (a sum by a count) truncates. " \
                   "Use the database's own average, which keeps the fraction."
        elif round(float(value), 2) == of_averages[city]:
            hint = "that is the average of the listings' averages, which gives a listing with " \
                   "one review the weight of one with fifty: every review must count once."
        else:
            hint = "average the rating of every review of the city's listings."
        raise Fail(expected=f"{city!r}: {truth[city]}", got=f"{city!r}: {value!r}", hint=hint,
                   look=look)


# --- 02.3 -----------------------------------------------------------------------------------------
def _cards_truth(n: int) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT l.id, l.title, u.username FROM listings_listing l "
                       "JOIN accounts_user u ON u.id = l.host_id ORDER BY l.id LIMIT %s", [n])
        listings = cursor.fetchall()
        cursor.execute("SELECT listing_id, rating FROM bookings_review "
                       "WHERE listing_id = ANY(%s) ORDER BY id", [[row[0] for row in listings]])
        ratings: dict[int, list[int]] = {}
        for listing_id, rating in cursor.fetchall():
            ratings.setdefault(listing_id, []).append(rating)
    return [{"title": title, "host": host, "ratings": ratings.get(pk, [])}
            for pk, title, host in listings]


@exercise("02.3", "listing_cards: fix an N+1")
def check_listing_cards(listing_cards) -> None:
    look = 'lesson 02, "5. The N+1 problem, measured"'
    counts = {}
    for n in (5, 50):
        got, queries = queries_during(lambda n=n: listing_cards(n))
        truth = _cards_truth(n)
        if not isinstance(got, list) or got != truth:
            shown = got[:1] if isinstance(got, list) else got
            raise Fail(expected=f"listing_cards({n}) → {n} dicts such as {truth[:1]}",
                       got=f"{type(got).__name__}: {shown!r}"[:200],
                       hint="one dict per listing, in id order: its title, its host's username "
                            "and the list of its reviews' ratings in the order they were "
                            "written (by id).", look=look)
        counts[n] = queries
    small, large = counts[5], counts[50]
    if len(large) <= len(small) and len(large) <= 3:
        return
    growth = f"{len(small)} queries for 5 listings, {len(large)} for 50"
    per_host = sum('FROM "accounts_user"' in sql for sql in large)
    per_reviews = sum('FROM "bookings_review"' in sql for sql in large)
    if per_host > 1 and per_reviews > 1:
        hint = "the queries grow with n: each listing's host and reviews are fetched when first " \
               "touched, one listing at a time. Tell the queryset up front which related " \
               "objects you will need."
    elif per_host > 1:
        hint = "the reviews come in one query now, but each listing's host is still fetched " \
               "on first access: follow the to-one relation in the listings' own query."
    elif per_reviews > 1 and any("IN (" in sql for sql in large if "bookings_review" in sql):
        hint = "the reviews are prefetched, but only .all() uses prefetched rows: calling " \
               ".order_by() or .filter() on listing.reviews asks the database again, per listing."
    elif per_reviews > 1:
        hint = "the host now comes with the listing, but the reviews still cost a query per " \
               "listing: a JOIN cannot bring a to-many relation; fetch them for all the " \
               "listings at once."
    else:
        hint = "the number of queries must not depend on n: look for a query inside your loop."
    raise Fail(expected="the same few queries (at most 3) for 5 listings and for 50",
               got=growth, hint=hint, look=look)


# --- 02.4 -----------------------------------------------------------------------------------------
CONSTRAINT_NAME = "booking_at_most_30_nights"


@exercise("02.4", "A CheckConstraint: at most 30 nights")
def check_stay_length_limit(stay_length_limit) -> None:
    from django.db import DatabaseError, IntegrityError, connection, transaction
    from django.db.models import CheckConstraint
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, BookingStatus
    from listings.models import Listing

    look = 'lesson 02, "3. Constraints, proved by breaking them"; Django docs: CheckConstraint'
    constraint = stay_length_limit()
    if not isinstance(constraint, CheckConstraint):
        raise Fail(expected="a django.db.models.CheckConstraint",
                   got=f"a {type(constraint).__name__}",
                   hint="a rule in Python is skipped by bulk_create, raw SQL and every other "
                        "path; return a CheckConstraint so PostgreSQL checks every write.",
                   look=look)
    if constraint.name != CONSTRAINT_NAME:
        raise Fail(expected=f"name={CONSTRAINT_NAME!r}", got=f"name={constraint.name!r}",
                   hint="the name is what an IntegrityError reports: give it the name the task "
                        "asks for, so the error says which rule was broken.", look=look)

    listing = Listing.objects.filter(is_active=True).order_by("id").first()
    guest = User.objects.filter(role="guest").order_by("username").first()
    start = timezone.localdate() + timedelta(days=4 * 365)

    def stay(offset: int, nights: int) -> Booking:
        check_in = start + timedelta(days=offset)
        return Booking(listing=listing, guest=guest, check_in=check_in, guests=1,
                       check_out=check_in + timedelta(days=nights), status=BookingStatus.PENDING,
                       total_price=listing.price_per_night * nights)

    outcome: dict[int, str | None] = {}
    try:
        with transaction.atomic():
            try:
                with transaction.atomic(), connection.schema_editor() as editor:
                    editor.add_constraint(Booking, constraint)
            except IntegrityError as exc:
                raise Fail(expected="a constraint every existing booking already satisfies",
                           got=f"PostgreSQL refused to add it: {str(exc).splitlines()[0]}"[:200],
                           hint="some stored bookings break your rule (the seed has stays of 1 "
                                "to 10 nights): compare check_out with check_in plus 30 days.",
                           look=look) from None
            except (DatabaseError, ValueError, TypeError, AttributeError) as exc:
                raise Fail(expected="a constraint PostgreSQL can add to bookings_booking",
                           got=f"{type(exc).__name__}: {str(exc).splitlines()[0]}"[:200],
                           hint="write the condition with Q and F over the booking's own "
                                "fields (check_in, check_out).", look=look) from None
            for offset, nights in ((0, 1), (100, 30), (200, 31), (300, 45)):
                try:
                    with transaction.atomic():
                        stay(offset, nights).save()
                    outcome[nights] = None
                except IntegrityError as exc:
                    diag = getattr(exc.__cause__, "diag", None)
                    outcome[nights] = getattr(diag, "constraint_name", None) or "?"
            raise Rollback
    except Rollback:
        pass
    for nights in (1, 30):
        if outcome[nights] is not None:
            raise Fail(expected=f"a {nights}-night stay is stored",
                       got=f"refused by {outcome[nights]}",
                       hint="30 nights is still allowed: 'at most' includes the limit; check "
                            "your comparison at exactly 30 nights.", look=look)
    for nights in (31, 45):
        if outcome[nights] != CONSTRAINT_NAME:
            raise Fail(expected=f"a {nights}-night stay refused by {CONSTRAINT_NAME}",
                       got="it was stored" if outcome[nights] is None
                       else f"refused by {outcome[nights]}",
                       hint=f"a {nights}-night stay got in: the condition must fail when "
                            "check_out is more than 30 days after check_in.", look=look)


# --- build steps: the learner's own project (contracts in nexus/build/contracts/lesson02.py) -----
build_step("02.b1", "Build: a custom user with a role, from the first migration")
build_step("02.b2", "Build: listings and bookings, with the rules the database enforces",
           requires=("02.b1",))
build_step("02.b3", "Build: a data migration that can be undone, and the admin",
           requires=("02.b2",))
build_step("02.b4", "Build: a deterministic `manage.py seed`", requires=("02.b2",))
