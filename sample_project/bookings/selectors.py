"""Reads for bookings (HackSoft style: querysets are built here, not in views)."""

from django.db.models import Q, QuerySet

from accounts.models import User
from bookings.models import Booking


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
