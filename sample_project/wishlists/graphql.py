"""GraphQL for the wishlist: ``myWishlist``, ``saveToWishlist``, ``removeFromWishlist``.

The same selector, services and rules as ``/api/wishlist/``: log in first (REST's 401), an
unknown or invisible listing is refused like an unknown id, and only your own wishlist is
ever read or changed — no argument names a user.
"""

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from strawberry import auto
from strawberry.types import Info

from accounts.graphql import UserType
from config.graphql_errors import database_id, require_user
from listings.models import Listing
from listings.selectors import listing_list_visible_to
from wishlists.models import WishlistItem
from wishlists.selectors import wishlist_list
from wishlists.services import wishlist_add, wishlist_remove


@strawberry_django.type(Listing, name="SavedListing")
class SavedListingType:
    """A listing as a wishlist shows it."""

    id: auto
    title: auto
    city: str
    price_per_night: auto
    host: UserType


@strawberry_django.type(WishlistItem, name="WishlistItem")
class WishlistItemType:
    """One listing in your wishlist, and the nightly price it had when you saved it."""

    listing: SavedListingType
    saved_price: auto
    created_at: auto

    # The hints tell the optimizer what the resolver reads, so it joins the listing in.
    @strawberry_django.field(only=["saved_price", "listing__price_per_night"],
                             select_related=["listing"])
    def price_dropped(self, root: WishlistItem) -> bool:
        """True when the listing costs less now than when it was saved."""
        return root.listing.price_per_night < root.saved_price


@strawberry.type
class WishlistQueries:
    @strawberry_django.field
    def my_wishlist(self, info: Info) -> list[WishlistItemType]:
        """The active listings you saved, newest first (like GET /api/wishlist/)."""
        return wishlist_list(user=require_user(info))


@strawberry.type
class WishlistMutations:
    @strawberry_django.mutation
    def save_to_wishlist(self, info: Info, listing_id: strawberry.ID) -> WishlistItemType:
        """Save a listing; saving it again returns the same item (its first saved price)."""
        user = require_user(info)
        listing = listing_list_visible_to(user=user).filter(pk=database_id(listing_id)).first()
        if listing is None:  # the same message REST gives for an id you can't see
            raise ValidationError(
                {"listing": f'Invalid pk "{listing_id}" - object does not exist.'})
        item, _ = wishlist_add(user=user, listing=listing)
        return item

    @strawberry_django.mutation
    def remove_from_wishlist(self, info: Info, listing_id: strawberry.ID) -> bool:
        """Remove a listing from your wishlist; true if it was there (removing twice is fine)."""
        user = require_user(info)
        listing = database_id(listing_id)
        return listing is not None and wishlist_remove(user=user, listing_id=listing)
