"""Plausible wrong answers to the exercises of lesson 02, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

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


def family_whole_birr(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return Listing.objects.filter(Q(bedrooms__gte=3) | Q(max_guests__gte=6), is_active=True,
                                  city=city, price_per_night__lte=int(max_price)) \
        .order_by("price_per_night", "id")


def family_more_than_three(city, max_price):
    from django.db.models import Q

    from listings.models import Listing

    return Listing.objects.filter(Q(bedrooms__gt=3) | Q(max_guests__gt=6), is_active=True,
                                  city=city, price_per_night__lte=max_price) \
        .order_by("price_per_night", "id")


# --- 02.2 rating_by_city --------------------------------------------------------------------------


def rating_query_per_city():
    from django.db.models import Avg

    from bookings.models import Review
    from listings.models import City

    averages = {city: Review.objects.filter(listing__city=city).aggregate(a=Avg("rating"))["a"]
                for city in City.values}
    return {city: round(value, 2) for city, value in averages.items() if value is not None}


def rating_not_rounded():
    from django.db.models import Avg

    from bookings.models import Review

    rows = Review.objects.values("listing__city").annotate(rating=Avg("rating"))
    return {row["listing__city"]: row["rating"] for row in rows}


def rating_average_of_listings():
    from collections import defaultdict
    from statistics import mean

    from django.db.models import Avg

    from bookings.models import Review

    per_city = defaultdict(list)
    for row in Review.objects.values("listing__city", "listing").annotate(rating=Avg("rating")):
        per_city[row["listing__city"]].append(row["rating"])
    return {city: round(mean(values), 2) for city, values in per_city.items()}


def rating_by_label():
    from django.db.models import Avg

    from bookings.models import Review
    from listings.models import City

    rows = Review.objects.values("listing__city").annotate(rating=Avg("rating"))
    return {City(row["listing__city"]).label: round(row["rating"], 2) for row in rows}


def rating_in_python():
    from collections import defaultdict

    from bookings.models import Review

    ratings = defaultdict(list)
    for city, rating in Review.objects.values_list("listing__city", "rating"):
        ratings[city].append(rating)
    return {city: round(sum(values) / len(values), 2) for city, values in ratings.items()}


def rating_integer_division():
    from django.db.models import Count, Sum

    from bookings.models import Review

    rows = Review.objects.values("listing__city").annotate(
        rating=Sum("rating") / Count("id"))
    return {row["listing__city"]: row["rating"] for row in rows}


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


WRONG_ANSWERS = {
    "02.1": [(family_both_conditions, "either condition is enough"),
             (family_inactive_too, "inactive listings are not offered"),
             (family_below_the_limit, "includes a place at exactly"),
             (family_dearest_first, "cheapest first"),
             (family_as_list, "return the queryset itself"),
             (family_whole_birr, "the limit has cents"),
             (family_more_than_three, "'3 or more bedrooms' includes exactly 3")],
    "02.2": [(rating_query_per_city, "a query per city"),
             (rating_not_rounded, "round it to 2 decimals"),
             (rating_average_of_listings, "every review must count once"),
             (rating_by_label, "use the stored city value"),
             (rating_in_python, "fetching every review to average in Python"),
             (rating_integer_division, "dividing two integers in SQL")],
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
