"""Caching of /api/wishlist/ against a real Redis: per user, and stale on the next request.

Invalidation runs on commit, so these tests use ``transaction=True``: each request commits for
real, as in production.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from listings.services import listing_update
from testsupport.factories import ListingFactory, WishlistItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/wishlist/"


def queries(client) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as captured:
        data = client.get(URL).data
    return data, len(captured)


def test_a_repeat_request_skips_the_wishlist_query(client_for):
    item = WishlistItemFactory()
    client = client_for(item.user)
    cold, cold_queries = queries(client)
    warm, warm_queries = queries(client)
    assert warm == cold and warm_queries == cold_queries - 1  # only the user lookup remains


def test_add_remove_and_a_price_change_show_on_the_next_request(client_for):
    item = WishlistItemFactory(listing=ListingFactory(price_per_night=Decimal("1500.00")))
    client = client_for(item.user)
    assert len(client.get(URL).data) == 1
    other = ListingFactory()
    client.post(URL, {"listing": other.pk}, format="json")
    assert [row["listing"]["id"] for row in client.get(URL).data] == [other.pk, item.listing_id]
    client.delete(f"{URL}{other.pk}/")
    assert [row["listing"]["id"] for row in client.get(URL).data] == [item.listing_id]
    listing_update(listing=item.listing, data={"price_per_night": Decimal("1200.00")})
    [row] = client.get(URL).data
    assert (row["listing"]["price_per_night"], row["price_dropped"]) == ("1200.00", True)


def test_one_users_entry_is_never_served_to_another(client_for):
    mine, theirs = WishlistItemFactory(), WishlistItemFactory()
    assert [r["listing"]["id"] for r in client_for(mine.user).get(URL).data] == [
        mine.listing_id]
    assert [r["listing"]["id"] for r in client_for(theirs.user).get(URL).data] == [
        theirs.listing_id]
