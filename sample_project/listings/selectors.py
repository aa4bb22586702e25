"""Reads for listings (HackSoft style: querysets are built here, not in views)."""

from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import Round

from listings.models import Listing


def listing_list() -> QuerySet[Listing]:
    """Active listings with their host and rating summary, ordered by id.

    Built for lists: the host comes in the same query (``select_related``) and the
    rating is aggregated in SQL, so a page of N listings costs the same number of
    queries as a page of one — no N+1. ``average_rating`` is None when a listing has
    no reviews yet.
    """
    return (
        Listing.objects.filter(is_active=True)
        .select_related("host")
        # Both aggregates follow the same single join (listing → reviews), so neither is
        # inflated. Adding a second to-many join here (e.g. bookings) would multiply rows:
        # use a Subquery for that instead.
        .annotate(
            average_rating=Round(Avg("reviews__rating"), 2),
            review_count=Count("reviews"),
        )
        # A stable order: pagination over an unordered queryset can repeat or skip rows.
        .order_by("id")
    )
