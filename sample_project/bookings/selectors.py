"""Reads for bookings (HackSoft style: querysets are built here, not in views)."""

from datetime import date

from django.db.models import OuterRef, Q, QuerySet

from accounts.models import User
from bookings.models import ACTIVE_STATUSES, Booking, Review
from listings.models import Listing


def booking_list_visible_to(*, user: User) -> QuerySet[Booking]:
    """The bookings ``user`` may see, with listing and guest joined, by id.

    A guest sees the stays they booked; a host also sees the bookings made at their
    listings (one rule covers both: a guest owns no listings); an admin sees all.
    List views use this as their queryset: DRF's object permissions never run on
    lists, so filtering here is what keeps other people's bookings out of them.
    """
    bookings = Booking.objects.select_related("listing", "guest").order_by("id")
    if not user.is_authenticated:
        return bookings.none()
    if user.is_admin:
        return bookings
    return bookings.filter(Q(guest=user) | Q(listing__host=user))


def booking_list_overlapping(
    *, listing: Listing | OuterRef, check_in: date, check_out: date
) -> QuerySet[Booking]:
    """The bookings that take some night of ``listing`` in [check_in, check_out).

    Pending and confirmed bookings take nights; a cancelled one freed them, a completed one
    is over. Stays are half-open — check-out day is not a night — so two stays overlap
    exactly when each starts before the other ends: ``booked.check_in < check_out`` and
    ``booked.check_out > check_in``. Back-to-back stays therefore don't collide, the same
    rule the database's exclusion constraint applies when booking. ``listing`` may be
    ``OuterRef("pk")``: the availability search (``listings.selectors.listing_list_available``)
    looks for these rows per listing, in a ``NOT EXISTS`` subquery.
    """
    return Booking.objects.filter(
        listing=listing,
        status__in=ACTIVE_STATUSES,
        check_in__lt=check_out,
        check_out__gt=check_in,
    )


def review_list(*, listing: Listing) -> QuerySet[Review]:
    """Reviews of ``listing``, oldest first, each with its author in the same query."""
    return Review.objects.filter(listing=listing).select_related("author").order_by("id")
