"""/api/wishlist/ through DRF's test client: who may call it, what it answers, what it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from testsupport.factories import ListingFactory, UserFactory, WishlistItemFactory
from wishlists import services
from wishlists.models import WishlistItem

pytestmark = pytest.mark.django_db

URL = "/api/wishlist/"


@pytest.mark.parametrize(("method", "path"), [("get", URL), ("post", URL),
                                              ("delete", f"{URL}1/")])
def test_anonymous_clients_get_401(api_client, method, path):
    assert getattr(api_client, method)(path).status_code == 401


def test_save_list_remove(client_for):
    guest, listing = UserFactory(), ListingFactory(price_per_night=Decimal("1500.00"))
    client = client_for(guest)
    first = client.post(URL, {"listing": listing.pk}, format="json")
    assert first.status_code == 201
    assert first.data["listing"]["id"] == listing.pk
    assert (first.data["saved_price"], first.data["price_dropped"]) == ("1500.00", False)
    assert client.post(URL, {"listing": listing.pk}, format="json").status_code == 200
    assert [row["listing"]["id"] for row in client.get(URL).data] == [listing.pk]
    assert client.delete(f"{URL}{listing.pk}/").status_code == 204
    assert client.delete(f"{URL}{listing.pk}/").status_code == 204  # idempotent
    # (What the next GET shows is the cache's business: cache/test_wishlist_cache.py, with
    # real commits.)
    assert not WishlistItem.objects.exists()


@pytest.mark.parametrize("body", [{}, {"listing": "abc"}, {"listing": 987654321},
                                  {"listing": None}, {"listing": [1]}])
def test_bad_input_is_a_400(client_for, body):
    response = client_for(UserFactory()).post(URL, body, format="json")
    assert response.status_code == 400 and "listing" in response.data


def test_inactive_listings_are_refused(client_for, host):
    hidden = ListingFactory(is_active=False)  # another host's: invisible, like a wrong id
    response = client_for(UserFactory()).post(URL, {"listing": hidden.pk}, format="json")
    assert response.status_code == 400 and "does not exist" in str(response.data)
    own = ListingFactory(host=host, is_active=False)  # visible to its host, still refused
    response = client_for(host).post(URL, {"listing": own.pk}, format="json")
    assert response.status_code == 400 and "not available" in str(response.data)


def test_a_full_wishlist_is_a_409(client_for, monkeypatch):
    monkeypatch.setattr(services, "WISHLIST_MAX_ITEMS", 1)
    client = client_for(UserFactory())
    client.post(URL, {"listing": ListingFactory().pk}, format="json")
    response = client.post(URL, {"listing": ListingFactory().pk}, format="json")
    assert response.status_code == 409 and response.data["code"] == "wishlist_full"


def test_you_only_ever_see_and_change_your_own(client_for):
    mine, theirs = WishlistItemFactory(), WishlistItemFactory()
    client = client_for(mine.user)
    assert [row["listing"]["id"] for row in client.get(URL).data] == [mine.listing_id]
    assert client.delete(f"{URL}{theirs.listing_id}/").status_code == 204
    assert WishlistItem.objects.filter(pk=theirs.pk).exists()


def test_a_non_numeric_id_is_a_404(client_for):
    assert client_for(UserFactory()).delete(f"{URL}abc/").status_code == 404
