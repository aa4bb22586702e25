"""Writes for listings and reviews (HackSoft style: every state change goes through a service)."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from accounts.models import User
from bookings.models import Booking, BookingStatus
from config.exceptions import ConflictError
from listings.models import Listing, Review, listing_slug
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
    """Delete a listing that was never booked; refuse (409) one that was."""
    if Booking.objects.filter(listing=listing).exists():
        raise ListingHasBookingsError(
            "This listing has bookings and can't be deleted; deactivate it instead "
            "(is_active: false).",
            code="listing_has_bookings",
        )
    try:
        listing.delete()
    except ProtectedError as exc:  # a booking arrived between the check and the delete
        raise ListingHasBookingsError(
            "This listing has bookings and can't be deleted; deactivate it instead.",
            code="listing_has_bookings",
        ) from exc


def review_create(*, booking: Booking, author: User, rating: int, comment: str = "") -> Review:
    """``author`` rates the stay ``booking``: their own, completed, not yet reviewed.

    Raises PermissionDenied (403) when ``author`` is not the booking's guest — a host or
    an admin can see the booking but didn't stay — and ValidationError (400) for a stay
    not completed yet, a second review, or a rating outside 1–5.
    """
    if author.pk != booking.guest_id:
        raise PermissionDenied("Only the guest who stayed can review this booking.")

    errors: dict[str, str] = {}
    if booking.status != BookingStatus.COMPLETED:
        errors["booking"] = "You can review a stay only after it is completed."
    elif Review.objects.filter(booking=booking).exists():
        errors["booking"] = "This stay has already been reviewed."
    if not 1 <= rating <= 5:
        errors["rating"] = "The rating must be between 1 and 5."
    if errors:
        raise ValidationError(errors)

    try:
        # The savepoint keeps the caller's transaction usable if the insert fails.
        with transaction.atomic():
            return Review.objects.create(
                booking=booking,
                # Copied from the booking, never from the client, so the two can't disagree.
                listing_id=booking.listing_id,
                author=author,
                rating=rating,
                comment=comment,
            )
    except IntegrityError:
        # Two requests for the same booking passed the check above at the same time; the
        # unique index on booking let one in. Report the other like the check would have.
        if Review.objects.filter(booking=booking).exists():
            raise ValidationError({"booking": "This stay has already been reviewed."}) from None
        raise
