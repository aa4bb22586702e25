"""Writes for wishlists (HackSoft style: every state change goes through a service)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from config.exceptions import ConflictError
from listings.models import Listing
from wishlists.emails import price_drop_message
from wishlists.models import WishlistItem
from wishlists.selectors import wishlist_items_to_notify

#: A wishlist comes back whole (GET /api/wishlist/ is not paginated), so it has a size limit.
WISHLIST_MAX_ITEMS = 100


class WishlistFullError(ConflictError):
    """The wishlist already holds WISHLIST_MAX_ITEMS listings: remove one first."""


def wishlist_add(*, user: User, listing: Listing) -> tuple[WishlistItem, bool]:
    """Save ``listing`` to ``user``'s wishlist; the item, and True if it was added now.

    Idempotent: saving a listing that is already there returns the existing item unchanged —
    in particular its ``saved_price``, the price the guest first saw, which later drops are
    measured against. Two requests racing to save the same listing can't make two rows: the
    unique constraint lets one insert in, and ``get_or_create`` reads the winner's row.
    Raises ``ValidationError`` (400) for an inactive listing and ``WishlistFullError`` (409)
    when the wishlist is full.
    """
    if not listing.is_active:
        raise ValidationError({"listing": "This listing is not available."})
    existing = WishlistItem.objects.filter(user=user, listing=listing).first()
    if existing is not None:
        return existing, False
    if WishlistItem.objects.filter(user=user).count() >= WISHLIST_MAX_ITEMS:
        raise WishlistFullError(
            f"Your wishlist holds {WISHLIST_MAX_ITEMS} listings; remove one to save another.",
            code="wishlist_full",
        )
    # The price is copied from the listing, never taken from the client.
    return WishlistItem.objects.get_or_create(
        user=user, listing=listing, defaults={"saved_price": listing.price_per_night}
    )


def wishlist_remove(*, user: User, listing_id: int) -> bool:
    """Take listing ``listing_id`` out of ``user``'s wishlist; True if it was there.

    Idempotent: removing a listing that isn't there (any more) is not an error, so a client
    that retries a DELETE after a timeout gets the same answer as the first time. Only the
    user's own items can match: the user is part of the filter.
    """
    deleted, _ = WishlistItem.objects.filter(user=user, listing_id=listing_id).delete()
    return deleted > 0


def wishlist_price_drop_notify(*, listing: Listing) -> list[int]:
    """Queue one price-drop email per guest to tell, once the transaction commits; their ids.

    Called whenever a host's edit writes a price (``wishlists/signals.py`` receives listings'
    ``listing_updated``). The selector decides who, from the stored prices; each message
    carries one wishlist item's **id**, and goes to the broker only after the commit, so a
    worker never looks for a price that isn't visible yet, and a rolled-back change emails
    nobody.
    """
    from wishlists.tasks import send_price_drop_notice  # tasks.py imports this module

    item_ids = list(wishlist_items_to_notify(listing=listing).values_list("pk", flat=True))
    for item_id in item_ids:
        send_price_drop_notice.delay_on_commit(item_id)
    return item_ids


def wishlist_price_drop_send(*, item: WishlistItem) -> bool:
    """Email ``item``'s guest that its listing got cheaper; True if sent now, False if no news.

    Idempotent, like ``booking_confirmation_send``: the item's row is locked, the decision is
    made on what is stored *now* (the price may have gone back up since the task was queued),
    and ``notified_price`` is recorded in the same transaction as the send. A message
    delivered twice finds the price already told and sends nothing; a second, deeper drop is
    below it and is news again.
    """
    with transaction.atomic():
        # of=("self",): lock the item only, not the listing and the user joined to it.
        locked = (
            WishlistItem.objects.select_for_update(of=("self",))
            .select_related("listing", "user")
            .filter(pk=item.pk)
            .first()
        )
        if locked is None:
            return False  # removed from the wishlist meanwhile
        price = locked.listing.price_per_night
        if (not locked.listing.is_active or not locked.user.is_active
                or price >= locked.reference_price):
            return False
        price_drop_message(item=locked).send()
        WishlistItem.objects.filter(pk=locked.pk).update(notified_price=price)
    item.notified_price = price
    return True
