"""Hosts publish, change and delete listings through the API (services underneath)."""

from decimal import Decimal

import pytest

from listings.models import Listing
from testsupport.factories import BookingFactory, ListingFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/listings/"
BODY = {
    "title": "Lakeside room in Bahir Dar",
    "description": "Quiet room with a view of Lake Tana.",
    "city": "bahir-dar",
    "address": "Kebele 4, Bahir Dar",
    "price_per_night": "1800.00",
    "max_guests": 2,
    "bedrooms": 1,
}


def test_host_publishes_a_listing_owned_by_them(client_for, host, guest):
    # A "host" in the body is ignored: the owner is whoever is logged in.
    response = client_for(host).post(LIST_URL, {**BODY, "host": guest.id}, format="json")

    assert response.status_code == 201
    body = response.json()
    listing = Listing.objects.get(pk=body["id"])
    assert listing.host == host
    assert body["host"] == {"id": host.id, "username": "host"}
    assert (body["average_rating"], body["review_count"], body["is_active"]) == (None, 0, True)
    assert listing.price_per_night == Decimal("1800.00")
    assert listing.slug == f"lakeside-room-in-bahir-dar-{listing.pk}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_per_night": "0"}, "price_per_night"),
        ({"price_per_night": "-10"}, "price_per_night"),
        ({"price_per_night": "cheap"}, "price_per_night"),
        ({"price_per_night": "123456789012.00"}, "price_per_night"),
        ({"max_guests": 0}, "max_guests"),
        ({"max_guests": "two"}, "max_guests"),
        ({"max_guests": 70000}, "max_guests"),
        ({"bedrooms": -1}, "bedrooms"),
        ({"city": "paris"}, "city"),
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_fields_are_400_with_the_field_named(client_for, host, change, field):
    response = client_for(host).post(LIST_URL, {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Listing.objects.exists()


def test_missing_fields_are_listed(client_for, host):
    response = client_for(host).post(LIST_URL, {}, format="json")
    assert response.status_code == 400
    assert {"title", "city", "address", "price_per_night", "max_guests"} <= set(response.json())


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ('{"title": "oops",', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ("null", "application/json"),
    ],
)
def test_malformed_or_non_object_json_is_a_400(client_for, host, payload, content_type):
    response = client_for(host).generic("POST", LIST_URL, payload, content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_patch_changes_only_what_is_sent(client_for, host):
    listing = ListingFactory(host=host, title="Old title")

    response = client_for(host).patch(
        f"/api/listings/{listing.id}/", {"price_per_night": "2100.00"}, format="json"
    )

    assert response.status_code == 200
    listing.refresh_from_db()
    assert (listing.title, listing.price_per_night) == ("Old title", Decimal("2100.00"))
    assert response.json()["price_per_night"] == "2100.00"


def test_put_needs_every_required_field(client_for, host):
    listing = ListingFactory(host=host)
    response = client_for(host).put(
        f"/api/listings/{listing.id}/", {"title": "Only a title"}, format="json"
    )
    assert response.status_code == 400
    assert "city" in response.json()


# Reads are cached and a write invalidates them when it commits: let the PATCHes commit.
@pytest.mark.django_db(transaction=True)
def test_deactivated_listing_leaves_the_catalogue_but_not_its_host(client_for, host, api_client):
    listing = ListingFactory(host=host)

    response = client_for(host).patch(
        f"/api/listings/{listing.id}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 200
    assert api_client.get(LIST_URL).json()["count"] == 0
    assert api_client.get(f"/api/listings/{listing.id}/").status_code == 404
    # Its host still sees it, so they can switch it back on.
    assert client_for(host).get(LIST_URL).json()["count"] == 1
    response = client_for(host).patch(
        f"/api/listings/{listing.id}/", {"is_active": True}, format="json"
    )
    assert response.status_code == 200
    assert api_client.get(LIST_URL).json()["count"] == 1


def test_delete_an_unbooked_listing(client_for, host):
    listing = ListingFactory(host=host)
    response = client_for(host).delete(f"/api/listings/{listing.id}/")
    assert response.status_code == 204
    assert not Listing.objects.filter(pk=listing.id).exists()


def test_deleting_a_booked_listing_is_a_409_with_a_code(client_for, host):
    booking = BookingFactory(listing__host=host)

    response = client_for(host).delete(f"/api/listings/{booking.listing_id}/")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "listing_has_bookings"
    assert "deactivate" in body["detail"]
    assert Listing.objects.filter(pk=booking.listing_id).exists()


def test_staff_user_counts_as_admin(client_for, host):
    listing = ListingFactory(host=host)
    staff = type(host).objects.create_user(
        username="staff", email="staff@example.com", password="x", is_staff=True
    )
    response = client_for(staff).patch(
        f"/api/listings/{listing.id}/", {"title": "Fixed typo"}, format="json"
    )
    assert response.status_code == 200
