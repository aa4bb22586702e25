"""GraphQL types and queries for listings and reviews (strawberry-graphql-django).

The same reads as ``GET /api/listings/``: querysets come from ``listings.selectors`` and the
search arguments go through the REST API's own ``ListingFilter``, so both APIs show the same
listings to the same user and refuse the same bad input with the same messages.
"""

from datetime import date
from decimal import Decimal

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from strawberry import auto
from strawberry.types import Info
from strawberry_django.pagination import OffsetPaginated

from accounts.graphql import UserType
from config.graphql_errors import database_id
from listings.filters import ListingFilter
from listings.models import Listing, Review
from listings.selectors import listing_list_visible_to, review_list


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


@strawberry_django.type(Listing, name="Listing")
class ListingType:
    """A place to stay. Querysets come from the selectors, which add the rating summary."""

    id: auto
    title: auto
    description: auto
    city: str
    address: auto
    price_per_night: auto
    max_guests: auto
    bedrooms: auto
    host: UserType
    # A list field on a related manager: `reviews(pagination: {limit: 3})` and an ordering
    # become arguments; the optimizer turns it into one prefetch for the whole page.
    reviews: list[ReviewType] = strawberry_django.field(pagination=True, ordering=ReviewOrder)

    @strawberry_django.field(only=["id"])
    def average_rating(self, root: Listing) -> float | None:
        """Mean rating, 1–5, 2 decimals; null if no reviews yet (annotated by the selector)."""
        return root.average_rating

    @strawberry_django.field(only=["id"])
    def review_count(self, root: Listing) -> int:
        return root.review_count


def _visible_listing(info: Info, listing_id: strawberry.ID) -> Listing:
    """The listing with ``listing_id`` if the user may see it; DoesNotExist otherwise (a 404)."""
    listings = listing_list_visible_to(user=info.context.request.user)
    listing = listings.filter(pk=database_id(listing_id)).first()
    if listing is None:
        raise Listing.DoesNotExist("No Listing matches the given query.")
    return listing


@strawberry.type
class ListingQueries:
    @strawberry_django.offset_paginated(OffsetPaginated[ListingType])
    def listings(
        self,
        info: Info,
        city: str | None = None,
        min_price: Decimal | None = None,
        max_price: Decimal | None = None,
        guests: int | None = None,
        check_in: date | None = None,
        check_out: date | None = None,
        ordering: str | None = None,
    ) -> QuerySet[Listing]:
        """Search the listings you may see, like GET /api/listings/; paginate with `pagination`."""
        arguments = {"city": city, "min_price": min_price, "max_price": max_price,
                     "guests": guests, "check_in": check_in, "check_out": check_out,
                     "ordering": ordering}
        search = ListingFilter(
            data={name: value for name, value in arguments.items() if value is not None},
            queryset=listing_list_visible_to(user=info.context.request.user),
        )
        if not search.is_valid():
            raise ValidationError(search.errors)
        return search.qs

    @strawberry_django.field
    def listing(self, info: Info, id: strawberry.ID) -> ListingType | None:
        """One listing; null if it doesn't exist or is inactive and not yours."""
        return listing_list_visible_to(user=info.context.request.user).filter(
            pk=database_id(id)).first()

    @strawberry_django.offset_paginated(OffsetPaginated[ReviewType])
    def reviews(self, info: Info, listing_id: strawberry.ID) -> QuerySet[Review]:
        """Reviews of one listing, oldest first, like GET /api/listings/<id>/reviews/."""
        return review_list(listing=_visible_listing(info, listing_id))
