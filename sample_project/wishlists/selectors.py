"""Reads for wishlists (HackSoft style: querysets are built here, not in views)."""

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import User
from listings.models import Listing
from wishlists.models import WishlistItem


def wishlist_list(*, user: User) -> QuerySet[WishlistItem]:
    """``user``'s saved listings that are still active, newest first: one query, any length.

    The listing comes in the same query (``select_related``), so a wishlist of 100 costs what
    a wishlist of one does. A listing its host deactivated drops out, and comes back if it is
    reactivated: the item is kept, only not shown.
    """
    return (
        WishlistItem.objects.filter(user=user, listing__is_active=True)
        .select_related("listing")
        .order_by("-created_at", "-id")
    )


def wishlist_items_to_notify(*, listing: Listing) -> QuerySet[WishlistItem]:
    """The items of guests who should hear that ``listing`` is cheaper now; one query.

    A guest is told when the listing's stored price is **below** the last price they know
    of — the one we last emailed them (``notified_price``), or else the one they saved it
    at. "Below", not "below or equal": a price back at what they already know is no news.
    Compared in SQL against the committed row, not an in-memory copy that may be stale.
    Guests whose account is deactivated or has no email address are left out, and so is
    everyone while the listing is inactive (they couldn't book it).
    """
    return (
        WishlistItem.objects.filter(listing=listing, listing__is_active=True,
                                    user__is_active=True)
        .exclude(user__email="")
        .alias(reference=Coalesce("notified_price", "saved_price"))
        .filter(reference__gt=F("listing__price_per_night"))
        .order_by("id")
    )
