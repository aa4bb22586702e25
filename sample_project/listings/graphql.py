"""GraphQL fields and resolvers for listings (strawberry-graphql-django).

The same reads as ``GET /api/listings/``: querysets come from ``listings.selectors`` and the
search arguments go through the REST API's own ``ListingFilter``, so both APIs show the same
listings to the same user and refuse the same bad input with the same messages.

The schema's ``Listing`` type also has the listing's reviews, and reviews are bookings data,
which listings can't import. So this module declares what listings knows — the fields
(``ListingFields``) and the resolvers (``listing_search``, ``listing_get``) — and
``bookings/graphql.py`` declares the ``Listing`` type on them, with its reviews, and the root
queries that return it.
"""

from datetime import date
from decimal import Decimal

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from strawberry import auto
from strawberry.types import Info

from accounts.graphql import UserType
from config.graphql_errors import database_id
from listings.filters import ListingFilter
from listings.models import Listing
from listings.selectors import listing_list_visible_to


@strawberry_django.type(Listing)
class ListingFields:
    """A listing's own fields; the schema's type is ``bookings.graphql.ListingType``."""

    id: auto
    title: auto
    description: auto
    city: str
    address: auto
    price_per_night: auto
    max_guests: auto
    bedrooms: auto
    host: UserType

    @strawberry_django.field(only=["id"])
    def average_rating(self, root: Listing) -> float | None:
        """Mean rating, 1–5, 2 decimals; null if no reviews yet (annotated by the selector)."""
        return root.average_rating

    @strawberry_django.field(only=["id"])
    def review_count(self, root: Listing) -> int:
        return root.review_count


def listing_search(
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


def listing_get(info: Info, id: strawberry.ID) -> Listing | None:
    """One listing; null if it doesn't exist or is inactive and not yours."""
    return listing_list_visible_to(user=info.context.request.user).filter(
        pk=database_id(id)).first()


def visible_listing(info: Info, listing_id: strawberry.ID) -> Listing:
    """The listing with ``listing_id`` if the user may see it; DoesNotExist otherwise (a 404)."""
    listing = listing_get(info, listing_id)
    if listing is None:
        raise Listing.DoesNotExist("No Listing matches the given query.")
    return listing
