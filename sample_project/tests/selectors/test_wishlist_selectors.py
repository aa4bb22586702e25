"""wishlists.selectors: a guest's wishlist in one query, and who hears about a price drop."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testsupport.factories import ListingFactory, UserFactory, WishlistItemFactory
from wishlists.selectors import wishlist_items_to_notify, wishlist_list

pytestmark = pytest.mark.django_db


class TestWishlistList:
    def test_my_wishlist_is_one_query_whatever_its_length(self):
        user = UserFactory()
        WishlistItemFactory(user=user)
        with CaptureQueriesContext(connection) as one:
            [item.listing.title for item in wishlist_list(user=user)]
        WishlistItemFactory.create_batch(9, user=user)
        with CaptureQueriesContext(connection) as ten:
            titles = [item.listing.title for item in wishlist_list(user=user)]
        assert len(titles) == 10 and len(one) == len(ten) == 1

    def test_my_wishlist_hides_inactive_listings_and_shows_newest_first(self):
        user = UserFactory()
        first, second = WishlistItemFactory(user=user), WishlistItemFactory(user=user)
        WishlistItemFactory(user=user, listing=ListingFactory(is_active=False))
        WishlistItemFactory()  # someone else's
        assert list(wishlist_list(user=user)) == [second, first]


class TestWishlistItemsToNotify:
    def test_guests_who_saved_it_above_the_new_price(self):
        listing = ListingFactory(price_per_night=Decimal("1500.00"))
        above = WishlistItemFactory(listing=listing, saved_price=Decimal("1600.00"))
        WishlistItemFactory(listing=listing, saved_price=Decimal("1500.00"))  # the same: no news
        WishlistItemFactory(listing=listing, saved_price=Decimal("1400.00"))  # cheaper then
        WishlistItemFactory(saved_price=Decimal("9000.00"))  # another listing
        told = WishlistItemFactory(listing=listing, saved_price=Decimal("2000.00"),
                                   notified_price=Decimal("1500.00"))  # already told of 1500
        lower = WishlistItemFactory(listing=listing, saved_price=Decimal("2000.00"),
                                    notified_price=Decimal("1700.00"))
        assert list(wishlist_items_to_notify(listing=listing)) == [above, lower]
        assert told not in wishlist_items_to_notify(listing=listing)

    def test_nobody_while_the_listing_is_inactive_or_without_an_address(self):
        listing = ListingFactory(price_per_night=Decimal("1000.00"), is_active=False)
        WishlistItemFactory(listing=listing, saved_price=Decimal("1500.00"))
        assert not wishlist_items_to_notify(listing=listing).exists()
        active = ListingFactory(price_per_night=Decimal("1000.00"))
        WishlistItemFactory(listing=active, saved_price=Decimal("1500.00"),
                            user=UserFactory(email=""))
        WishlistItemFactory(listing=active, saved_price=Decimal("1500.00"),
                            user=UserFactory(is_active=False))
        assert not wishlist_items_to_notify(listing=active).exists()
