"""Plausible wrong answers to every exercise, each with the hint its check must give.

A check that accepts one of these is a defect (proof 4 of the exercises issue). Used by
``probe.py`` in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

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


# --- 02.1 family_stays ----------------------------------------------------------------------------


def family_both_conditions(city, max_price):
    from listings.models import Listing

    return Listing.objects.filter(is_active=True, city=city, price_per_night__lte=max_price,
                                  bedrooms__gte=3, max_guests__gte=6) \
        .order_by("price_per_night", "id")


def family_inactive_too(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return Listing.objects.filter(Q(bedrooms__gte=3) | Q(max_guests__gte=6), city=city,
                                  price_per_night__lte=max_price).order_by("price_per_night", "id")


def family_below_the_limit(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return Listing.objects.filter(Q(bedrooms__gte=3) | Q(max_guests__gte=6), is_active=True,
                                  city=city, price_per_night__lt=max_price) \
        .order_by("price_per_night", "id")


def family_dearest_first(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return Listing.objects.filter(Q(bedrooms__gte=3) | Q(max_guests__gte=6), is_active=True,
                                  city=city, price_per_night__lte=max_price) \
        .order_by("-price_per_night", "id")


def family_as_list(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return list(Listing.objects.filter(Q(bedrooms__gte=3) | Q(max_guests__gte=6), is_active=True,
                                       city=city, price_per_night__lte=max_price)
                .order_by("price_per_night", "id"))


# --- 02.2 rating_by_city --------------------------------------------------------------------------


def rating_query_per_city():
    from django.db.models import Avg

    from listings.models import City, Review

    averages = {city: Review.objects.filter(listing__city=city).aggregate(a=Avg("rating"))["a"]
                for city in City.values}
    return {city: round(value, 2) for city, value in averages.items() if value is not None}


def rating_not_rounded():
    from django.db.models import Avg

    from listings.models import Review

    rows = Review.objects.values("listing__city").annotate(rating=Avg("rating"))
    return {row["listing__city"]: row["rating"] for row in rows}


def rating_average_of_listings():
    from collections import defaultdict
    from statistics import mean

    from django.db.models import Avg

    from listings.models import Review

    per_city = defaultdict(list)
    for row in Review.objects.values("listing__city", "listing").annotate(rating=Avg("rating")):
        per_city[row["listing__city"]].append(row["rating"])
    return {city: round(mean(values), 2) for city, values in per_city.items()}


def rating_by_label():
    from django.db.models import Avg

    from listings.models import City, Review

    rows = Review.objects.values("listing__city").annotate(rating=Avg("rating"))
    return {City(row["listing__city"]).label: round(row["rating"], 2) for row in rows}


# --- 02.3 listing_cards ---------------------------------------------------------------------------


def _cards(listings, reviews=lambda listing: listing.reviews.all()):
    return [{"title": listing.title, "host": listing.host.username,
             "ratings": [review.rating for review in reviews(listing)]} for listing in listings]


def cards_naive(n):
    from listings.models import Listing

    return _cards(Listing.objects.order_by("id")[:n])


def cards_select_related_only(n):
    from listings.models import Listing

    return _cards(Listing.objects.select_related("host").order_by("id")[:n])


def cards_prefetch_only(n):
    from listings.models import Listing

    return _cards(Listing.objects.prefetch_related("reviews").order_by("id")[:n])


def cards_prefetch_then_order(n):
    from listings.models import Listing

    listings = Listing.objects.select_related("host").prefetch_related("reviews").order_by("id")
    return _cards(listings[:n], reviews=lambda listing: listing.reviews.order_by("id"))


def cards_unordered_ratings(n):
    from listings.models import Listing

    listings = Listing.objects.select_related("host").prefetch_related("reviews").order_by("id")
    return _cards(listings[:n], reviews=lambda listing: sorted(listing.reviews.all(),
                                                               key=lambda r: -r.rating))


# --- 02.4 stay_length_limit -----------------------------------------------------------------------


def limit_off_by_one():
    from datetime import timedelta

    from django.db.models import CheckConstraint, F, Q

    return CheckConstraint(condition=Q(check_out__lt=F("check_in") + timedelta(days=30)),
                           name="booking_at_most_30_nights")


def limit_too_loose():
    from datetime import timedelta

    from django.db.models import CheckConstraint, F, Q

    return CheckConstraint(condition=Q(check_out__lte=F("check_in") + timedelta(days=31)),
                           name="booking_at_most_30_nights")


def limit_unnamed_rule():
    from datetime import timedelta

    from django.db.models import CheckConstraint, F, Q

    return CheckConstraint(condition=Q(check_out__lte=F("check_in") + timedelta(days=30)),
                           name="max_stay")


def limit_python_validator():
    from django.core.exceptions import ValidationError

    def validate(booking):
        if (booking.check_out - booking.check_in).days > 30:
            raise ValidationError("A stay can be at most 30 nights.")

    return validate


def limit_too_strict():
    from datetime import timedelta

    from django.db.models import CheckConstraint, F, Q

    return CheckConstraint(condition=Q(check_out__lte=F("check_in") + timedelta(days=7)),
                           name="booking_at_most_30_nights")


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
    "02.1": [(family_both_conditions, "either condition is enough"),
             (family_inactive_too, "inactive listings are not offered"),
             (family_below_the_limit, "includes a place at exactly"),
             (family_dearest_first, "cheapest first"),
             (family_as_list, "return the queryset itself")],
    "02.2": [(rating_query_per_city, "a query per city"),
             (rating_not_rounded, "round it to 2 decimals"),
             (rating_average_of_listings, "every review must count once"),
             (rating_by_label, "use the stored city value")],
    "02.3": [(cards_naive, "the queries grow with n"),
             (cards_select_related_only, "a JOIN cannot bring a to-many relation"),
             (cards_prefetch_only, "follow the to-one relation"),
             (cards_prefetch_then_order, "only .all() uses prefetched rows"),
             (cards_unordered_ratings, "in the order they were written")],
    "02.4": [(limit_off_by_one, "30 nights is still allowed"),
             (limit_too_loose, "31-night stay got in"),
             (limit_unnamed_rule, "the name is what an IntegrityError reports"),
             (limit_python_validator, "return a CheckConstraint"),
             (limit_too_strict, "some stored bookings break your rule")],
}


# --- 03.1 BookingRequestSerializer · 03.2 ListingPriceFilter · 03.3 api_exception_handler ---------
def _booking_request(name, *, guests_floor=1, same_day_ok=False, non_field=False, returns=True):
    from rest_framework import serializers

    class WrongBookingRequest(serializers.Serializer):
        check_in = serializers.DateField()
        check_out = serializers.DateField()
        guests = serializers.IntegerField()

        def validate_guests(self, value):
            if value < guests_floor:
                raise serializers.ValidationError("A booking needs at least one guest.")
            return value

        def validate(self, attrs):
            backwards = attrs["check_out"] < attrs["check_in"] if same_day_ok \
                else attrs["check_out"] <= attrs["check_in"]
            if backwards:
                message = "Check-out must be after check-in."
                raise serializers.ValidationError(message if non_field else {"check_out": message})
            return attrs if returns else None

    WrongBookingRequest.__name__ = name
    return WrongBookingRequest


request_zero_guests_ok = _booking_request("request_zero_guests_ok", guests_floor=0)
request_same_day_ok = _booking_request("request_same_day_ok", same_day_ok=True)
request_non_field_error = _booking_request("request_non_field_error", non_field=True)
request_forgets_attrs = _booking_request("request_forgets_attrs", returns=False)


def _price_filter(name, filter_max_price):
    from django_filters import rest_framework as filters

    from listings.models import City, Listing

    class WrongPriceFilter(filters.FilterSet):
        city = filters.ChoiceFilter(choices=City.choices)
        max_price = filters.NumberFilter(method="filter_max_price", min_value=0,
                                         max_digits=10, decimal_places=2)

        class Meta:
            model = Listing
            fields: list[str] = []

    WrongPriceFilter.filter_max_price = filter_max_price
    WrongPriceFilter.__name__ = name
    return WrongPriceFilter


price_below_only = _price_filter("price_below_only",
                                 lambda self, qs, name, value: qs.filter(price_per_night__lt=value))
price_unfiltered = _price_filter("price_unfiltered", lambda self, qs, name, value: qs)
price_at_least = _price_filter("price_at_least",
                               lambda self, qs, name, value: qs.filter(price_per_night__gte=value))


def handler_validation_first(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ValidationError):
        return Response(exc.message_dict if hasattr(exc, "error_dict") else
                        {"non_field_errors": exc.messages}, status=400)
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    return exception_handler(exc, context)


def handler_conflict_only(exc, context):
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    return exception_handler(exc, context)


def handler_without_code(exc, context):
    from rest_framework.response import Response

    from config.exceptions import ConflictError

    response = handler_validation_first(exc, context)
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0]}, status=409)
    return response


def handler_one_string(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    if isinstance(exc, ValidationError):
        return Response({"detail": " ".join(exc.messages)}, status=400)
    return exception_handler(exc, context)


def handler_no_fallback(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    if isinstance(exc, ValidationError):
        return Response(exc.message_dict, status=400)
    return None


WRONG_ANSWERS.update({
    "03.1": [(request_zero_guests_ok, "refuses 0 as well"),
             (request_same_day_ok, "a stay of zero nights"),
             (request_non_field_error, "under non_field_errors"),
             (request_forgets_attrs, "must return the attrs")],
    "03.2": [(price_below_only, "includes a listing priced exactly"),
             (price_unfiltered, "return the queryset filtered"),
             (price_at_least, "check the field your filter reads and its lookup")],
    "03.3": [(handler_validation_first, "Test for the more specific class first"),
             (handler_conflict_only, "Django's ValidationError (raised by the service) is not"),
             (handler_without_code, "machine-readable code"),
             (handler_one_string, "one list of messages per field"),
             (handler_no_fallback, "hand everything you don't map yourself to DRF")],
})

# Later lessons keep their wrong answers in wrong_answers_NN.py (exporting WRONG_ANSWERS_NN);
# merge every one found. probe.py imports this file as the top-level module `wrong_answers`,
# pytest as tests.exercises.wrong_answers.
for _path in sorted(Path(__file__).parent.glob("wrong_answers_[0-9][0-9].py")):
    _lesson = _path.stem.rsplit("_", 1)[1]
    _module = importlib.import_module(
        f"{__package__}.{_path.stem}" if __package__ else _path.stem)
    WRONG_ANSWERS.update(getattr(_module, f"WRONG_ANSWERS_{_lesson}"))
