"""Writes for listings (HackSoft style: every state change goes through a service).

A review rates a stay, so reviews are bookings data: ``review_create`` is in ``bookings.services``.
"""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from accounts.models import User
from config.exceptions import ConflictError
from listings.models import Listing, listing_slug
from listings.signals import listing_updated

# The fields a host may set; host, timestamps and ids are never taken from the client.
LISTING_EDITABLE_FIELDS = (
    "title",
    "description",
    "city",
    "address",
    "price_per_night",
    "max_guests",
    "bedrooms",
    "is_active",
)


class ListingHasBookingsError(ConflictError):
    """A listing with bookings is part of the business's records: deactivate it instead."""


def listing_create(
    *,
    host: User,
    title: str,
    city: str,
    address: str,
    price_per_night: Decimal,
    max_guests: int,
    description: str = "",
    bedrooms: int = 1,
    is_active: bool = True,
) -> Listing:
    """Publish a listing owned by ``host``."""
    listing = Listing(
        host=host,
        title=title,
        description=description,
        city=city,
        address=address,
        price_per_night=price_per_night,
        max_guests=max_guests,
        bedrooms=bedrooms,
        is_active=is_active,
    )
    # full_clean() runs the model's CheckConstraints in Python first, so a bad value is
    # a ValidationError naming the rule (a 400), not an IntegrityError (a 500).
    listing.full_clean()
    with transaction.atomic():
        listing.save()
        # The slug ends with the id, which exists only once the row is inserted.
        listing.slug = listing_slug(listing.title, listing.pk)
        listing.save(update_fields=["slug"])
    return listing


def listing_update(*, listing: Listing, data: dict[str, Any]) -> Listing:
    """Change the given fields of ``listing``; keys outside LISTING_EDITABLE_FIELDS are refused."""
    unknown = set(data) - set(LISTING_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(listing, field, value)
    listing.full_clean()
    # update_fields: write only what changed, so two hosts' assistants editing different
    # fields at once don't overwrite each other's change with stale values.
    listing.save(update_fields=[*data, "updated_at"])
    # The apps built on listings hear of a host's edit: wishlists emails the guests who saved
    # it about a lower price (wishlists/signals.py). Our own signal, sent here, not post_save:
    # only a host's edit through this service should email guests, not a bulk fix in a shell
    # or a data migration. And not a call: listings must not import the apps above it.
    listing_updated.send(sender=Listing, listing=listing, fields=frozenset(data))
    return listing


def listing_delete(*, listing: Listing) -> None:
    """Delete a listing that was never booked; refuse (409) one that was.

    The model's own rule decides: ``Booking.listing`` is ``on_delete=PROTECT``, so Django
    refuses to delete a listing that any booking points to (ProtectedError) before it
    deletes a row. Relying on it, rather than counting bookings first, needs no import of
    bookings (which depend on listings, not the reverse) and holds for any caller.
    """
    try:
        listing.delete()
    except ProtectedError as exc:
        raise ListingHasBookingsError(
            "This listing has bookings and can't be deleted; deactivate it instead "
            "(is_active: false).",
            code="listing_has_bookings",
        ) from exc
