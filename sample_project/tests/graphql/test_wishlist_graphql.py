"""The wishlist in GraphQL: ``myWishlist``, ``saveToWishlist`` and ``removeFromWishlist``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from testsupport.clients import bearer
from testsupport.factories import ListingFactory, UserFactory, WishlistItemFactory
from wishlists.models import WishlistItem

pytestmark = pytest.mark.django_db

MY_WISHLIST = """{ myWishlist { savedPrice priceDropped
                               listing { id title pricePerNight host { username } } } }"""
SAVE = "mutation Save($id: ID!) { saveToWishlist(listingId: $id) { savedPrice listing { id } } }"
REMOVE = "mutation Remove($id: ID!) { removeFromWishlist(listingId: $id) }"


def graphql(query, variables=None, *, user=None):
    headers = {"HTTP_AUTHORIZATION": bearer(user)} if user else {}
    response = Client().post("/graphql", {"query": query, "variables": variables or {}},
                             content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_my_wishlist_costs_the_same_queries_for_one_item_or_ten():
    user = UserFactory()
    WishlistItemFactory(user=user)
    with CaptureQueriesContext(connection) as one:
        assert len(graphql(MY_WISHLIST, user=user)["data"]["myWishlist"]) == 1
    WishlistItemFactory.create_batch(9, user=user)
    with CaptureQueriesContext(connection) as ten:
        assert len(graphql(MY_WISHLIST, user=user)["data"]["myWishlist"]) == 10
    assert len(one) == len(ten)


def test_save_is_idempotent_and_remove_answers_whether_it_was_there():
    user, listing = UserFactory(), ListingFactory(price_per_night=Decimal("1500.00"))
    saved = graphql(SAVE, {"id": str(listing.pk)}, user=user)["data"]["saveToWishlist"]
    assert saved == {"savedPrice": "1500.00", "listing": {"id": str(listing.pk)}}
    assert graphql(SAVE, {"id": str(listing.pk)}, user=user)["data"]["saveToWishlist"] == saved
    assert WishlistItem.objects.filter(user=user).count() == 1
    assert graphql(REMOVE, {"id": str(listing.pk)}, user=user)["data"] == {
        "removeFromWishlist": True}
    assert graphql(REMOVE, {"id": str(listing.pk)}, user=user)["data"] == {
        "removeFromWishlist": False}


@pytest.mark.parametrize("query", [MY_WISHLIST, SAVE, REMOVE])
def test_anonymous_is_not_authenticated(query):
    [error] = graphql(query, {"id": "1"})["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("listing_id", ["987654321", "abc"])
def test_an_unknown_listing_is_refused_like_in_rest(listing_id):
    [error] = graphql(SAVE, {"id": listing_id}, user=UserFactory())["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "does not exist" in error["message"]
