"""Reads for listings (HackSoft style: querysets are built here, not in views)."""

import functools
from collections.abc import Callable
from datetime import date

from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Round

from accounts.models import User
from listings.cache import get_or_compute, listings_key
from listings.models import Listing


def _with_summary(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Add the host and the rating summary to ``listings``, in the same single query.

    The host comes in the same query (``select_related``) and the rating is aggregated
    in SQL, so a page of N listings costs the same number of queries as a page of one —
    no N+1. ``average_rating`` is None and ``review_count`` 0 when a listing has no reviews.
    """
    return (
        listings.select_related("host")
        .annotate(**_rating_summary())
        # A stable order: pagination over an unordered queryset can repeat or skip rows.
        .order_by("id")
    )


@functools.cache
def _rating_summary() -> dict[str, Subquery | Coalesce]:
    """The rating summary's expressions, built once: ``annotate()`` resolves a copy of them.

    Two correlated subqueries in the SELECT list, not a JOIN to reviews with a GROUP BY.
    Grouping would make every query over these listings group too: the paginator's count()
    would join and group every listing's reviews just to count listings. A subquery is not
    an aggregate of the outer query, so count() leaves it out (``SELECT COUNT(*) FROM
    listings_listing WHERE …``). And PostgreSQL evaluates a SELECT-list subquery only for
    the rows the query returns: EXPLAIN ANALYZE shows 20 loops of each for a page of 20, and
    the average computed for every listing only when the page is sorted by rating.
    """
    # Django's recipe for an aggregate in a Subquery: filter on OuterRef, clear the
    # ordering, values() to group by listing, annotate the aggregate, values() its column.
    # `reviews` is the reverse side of bookings.Review.listing: a lookup by name, not an
    # import — bookings writes reviews, the catalogue reads them.
    reviews = (
        Listing._meta.get_field("reviews").related_model.objects
        .filter(listing=OuterRef("pk")).order_by().values("listing")
    )
    return {
        "average_rating": Subquery(
            reviews.annotate(average=Round(Avg("rating"), 2)).values("average")),
        # No reviews, no group: the subquery is NULL, the count 0.
        "review_count": Coalesce(Subquery(reviews.annotate(n=Count("pk")).values("n")), 0),
    }


def listing_list() -> QuerySet[Listing]:
    """Active listings — the public catalogue — with host and rating summary, by id."""
    return _with_summary(Listing.objects.filter(is_active=True))


def listing_list_visible_to(*, user: User) -> QuerySet[Listing]:
    """The listings ``user`` may see: the catalogue, their own inactive ones, or all.

    Anyone sees active listings; a host also sees their own inactive listings (or they
    could never reactivate one); an admin sees every listing. Anonymous users pass
    ``AnonymousUser``, which owns nothing.
    """
    if user.is_authenticated and user.is_admin:
        return _with_summary(Listing.objects.all())
    if user.is_authenticated:
        return _with_summary(Listing.objects.filter(Q(is_active=True) | Q(host=user)))
    return listing_list()


# What takes a listing's nights. Listings can't know about bookings (bookings depend on
# listings, never the reverse), so the bookings app registers its selector when it loads
# (BookingsConfig.ready()), the way payments tells bookings which pending bookings are paid.
_NIGHTS_TAKEN_BY: list[Callable[..., QuerySet]] = []


def listing_nights_taken_by(selector: Callable[..., QuerySet]) -> None:
    """Make the rows ``selector(listing=…, check_in=…, check_out=…)`` returns take a stay's nights.

    ``listing`` may be an ``OuterRef``: the rows are looked for per listing, in a subquery.
    """
    if selector not in _NIGHTS_TAKEN_BY:  # Django may call an app's ready() twice
        _NIGHTS_TAKEN_BY.append(selector)


def listing_list_available(
    *,
    check_in: date,
    check_out: date,
    listings: QuerySet[Listing] | None = None,
) -> QuerySet[Listing]:
    """``listings`` (default: the catalogue) free for every night in [check_in, check_out).

    A listing is taken when a pending or confirmed booking overlaps the stay: a row of
    ``bookings.selectors.booking_list_overlapping``, registered through
    :func:`listing_nights_taken_by`. That selector's docstring has the overlap rule, the
    same the database's exclusion constraint applies when booking.

    ``NOT EXISTS`` keeps it one query with no extra rows: a JOIN to bookings would
    repeat each listing once per booking.
    """
    if listings is None:
        listings = listing_list()
    for taken_by in _NIGHTS_TAKEN_BY:
        taken = taken_by(listing=OuterRef("pk"), check_in=check_in, check_out=check_out)
        listings = listings.filter(~Exists(taken))
    return listings


def listing_city_stats() -> list[dict]:
    """Per city with active listings: how many, the average and the lowest price per night.

    An aggregate over the whole catalogue that a home page shows on every visit but that
    changes only when a listing does, so it is cached under an explicit key
    (``listings:g<generation>:city-stats``) until the next write to listings data.
    """
    return get_or_compute(listings_key("city-stats"), _city_stats)


def _city_stats() -> list[dict]:
    rows = (
        Listing.objects.filter(is_active=True)
        .values("city")
        .annotate(
            listings=Count("id"),
            average_price=Round(Avg("price_per_night"), 2),
            lowest_price=Min("price_per_night"),
        )
        .order_by("city")
    )
    return list(rows)
