"""GraphQL types, queries and mutations for bookings and reviews (strawberry-graphql-django).

Same rules as the REST API, from the same code: the bookings you may see come from
``booking_list_visible_to``; creating and cancelling call ``booking_create`` and
``booking_cancel``; who may cancel is ``IsBookingGuestOrAdmin``. So a booking you may not
see is "not found" here exactly as it is a 404 at /api/bookings/<id>/, and one you may see
but not cancel (you host the listing) is "forbidden", a 403 there.

The schema's ``Listing`` type is declared here too: a listing is shown with its reviews, and
reviews belong to bookings. Its other fields and the catalogue's search come from
``listings/graphql.py`` (``ListingFields``, ``listing_search``), which can't import reviews.
"""

from datetime import date

import strawberry
import strawberry_django
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from strawberry import auto
from strawberry.types import Info
from strawberry_django.pagination import OffsetPaginated

from accounts.graphql import UserType
from bookings.models import Booking, Review
from bookings.permissions import IsBookingGuestOrAdmin
from bookings.selectors import booking_list_visible_to, review_list
from bookings.services import booking_cancel, booking_create
from config.graphql_errors import database_id, require_user
from listings.graphql import ListingFields, listing_get, listing_search, visible_listing
from listings.models import Listing
from listings.selectors import listing_list_visible_to


@strawberry_django.order_type(Review)
class ReviewOrder:
    """Sort reviews, e.g. ``ordering: [{id: DESC}]`` for the newest first."""

    id: auto
    rating: auto


@strawberry_django.type(Review, name="Review")
class ReviewType:
    """A guest's rating of a completed stay."""

    id: auto
    rating: auto
    comment: auto
    created_at: auto
    author: UserType


# The listings app's fields, plus the reviews only bookings knows of.
@strawberry_django.type(Listing, name="Listing")
class ListingType(ListingFields):
    """A place to stay. Querysets come from the selectors, which add the rating summary."""

    # A list field on a related manager: `reviews(pagination: {limit: 3})` and an ordering
    # become arguments; the optimizer turns it into one prefetch for the whole page.
    reviews: list[ReviewType] = strawberry_django.field(pagination=True, ordering=ReviewOrder)


@strawberry.type
class ListingQueries:
    # The resolvers are listings' (listings/graphql.py); the type they return is the one above.
    listings: OffsetPaginated[ListingType] = strawberry_django.offset_paginated(
        resolver=listing_search)
    listing: ListingType | None = strawberry_django.field(resolver=listing_get)

    @strawberry_django.offset_paginated(OffsetPaginated[ReviewType])
    def reviews(self, info: Info, listing_id: strawberry.ID) -> QuerySet[Review]:
        """Reviews of one listing, oldest first, like GET /api/listings/<id>/reviews/."""
        return review_list(listing=visible_listing(info, listing_id))


@strawberry_django.type(Listing, name="BookedListing")
class BookedListingType:
    """The listing a booking is for, as much of it as a booking page shows."""

    id: auto
    title: auto
    city: str


@strawberry_django.type(Booking, name="Booking")
class BookingType:
    """A stay from checkIn (first night) to checkOut (departure day, not a night)."""

    id: auto
    listing: BookedListingType
    guest: UserType
    check_in: auto
    check_out: auto
    guests: auto
    total_price: auto
    status: str
    created_at: auto

    @strawberry_django.field(only=["check_in", "check_out"])
    def nights(self, root: Booking) -> int:
        return root.nights


@strawberry.input
class BookingInput:
    """What a guest sends to book a stay (REST: BookingInputSerializer)."""

    listing_id: strawberry.ID
    check_in: date
    check_out: date
    guests: int


def _visible_booking(info: Info, booking_id: strawberry.ID) -> Booking:
    """The booking if the user may see it; DoesNotExist otherwise, exactly like a wrong id."""
    user = require_user(info)
    booking = booking_list_visible_to(user=user).filter(pk=database_id(booking_id)).first()
    if booking is None:
        raise Booking.DoesNotExist("No Booking matches the given query.")
    return booking


@strawberry.type
class BookingQueries:
    @strawberry_django.offset_paginated(OffsetPaginated[BookingType])
    def bookings(self, info: Info) -> QuerySet[Booking]:
        """The bookings you may see (yours, and at your listings if you host), by id."""
        return booking_list_visible_to(user=require_user(info))

    @strawberry_django.field
    def booking(self, info: Info, id: strawberry.ID) -> BookingType | None:
        """One booking you may see; null for any other id."""
        return booking_list_visible_to(user=require_user(info)).filter(pk=database_id(id)).first()


@strawberry.type
class BookingMutations:
    @strawberry_django.mutation
    def create_booking(self, info: Info, data: BookingInput) -> BookingType:
        """Book a stay: the same service, rules and messages as POST /api/bookings/."""
        user = require_user(info)
        listing = listing_list_visible_to(user=user).filter(pk=database_id(data.listing_id)).first()
        if listing is None:  # another host's inactive listing reads as a wrong id, as in REST
            raise ValidationError(
                {"listing": f'Invalid pk "{data.listing_id}" - object does not exist.'})
        return booking_create(listing=listing, guest=user, check_in=data.check_in,
                              check_out=data.check_out, guests=data.guests)

    @strawberry_django.mutation
    def cancel_booking(self, info: Info, id: strawberry.ID) -> BookingType:
        """Cancel a booking: its guest or an admin; the listing's host is refused."""
        booking = _visible_booking(info, id)
        permission = IsBookingGuestOrAdmin()
        if not permission.has_object_permission(info.context.request, None, booking):
            raise PermissionDenied(permission.message)
        return booking_cancel(booking=booking)
