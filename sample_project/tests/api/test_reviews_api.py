"""Reviews through the API: only the guest who stayed, after the stay, once."""

import pytest

from bookings.models import BookingStatus, Review
from testsupport.factories import BookingFactory, ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/reviews/"


@pytest.fixture
def stay(guest, host):
    return BookingFactory(guest=guest, listing=ListingFactory(host=host),
                          status=BookingStatus.COMPLETED)  # fmt: skip


def test_guest_reviews_a_completed_stay(client_for, guest, stay, api_client):
    response = client_for(guest).post(
        URL, {"booking": stay.id, "rating": 4, "comment": "Good."}, format="json"
    )

    assert response.status_code == 201
    data = response.json()
    assert (data["listing"], data["booking"], data["rating"]) == (stay.listing_id, stay.id, 4)
    assert data["author"] == {"id": guest.id, "username": "guest"}
    # And it shows on the listing: in its reviews and in its rating.
    reviews = api_client.get(f"/api/listings/{stay.listing_id}/reviews/").json()
    assert [item["id"] for item in reviews["results"]] == [data["id"]]
    listing = api_client.get(f"/api/listings/{stay.listing_id}/").json()
    assert (listing["average_rating"], listing["review_count"]) == (4.0, 1)


def test_a_second_review_of_the_same_stay_is_a_400_not_an_integrity_error(
    client_for, guest, stay
):
    client = client_for(guest)
    assert client.post(URL, {"booking": stay.id, "rating": 5}, format="json").status_code == 201

    response = client.post(URL, {"booking": stay.id, "rating": 1}, format="json")

    assert response.status_code == 400
    assert response.json() == {"booking": ["This stay has already been reviewed."]}
    assert Review.objects.count() == 1


@pytest.mark.parametrize("status", [BookingStatus.PENDING, BookingStatus.CONFIRMED,
                                    BookingStatus.CANCELLED])  # fmt: skip
def test_only_completed_stays_can_be_reviewed(client_for, guest, status):
    booking = BookingFactory(guest=guest, status=status)
    response = client_for(guest).post(URL, {"booking": booking.id, "rating": 5}, format="json")
    assert response.status_code == 400
    assert "completed" in response.json()["booking"][0]


def test_the_listings_host_sees_the_booking_but_cannot_review_it(client_for, host, stay):
    response = client_for(host).post(URL, {"booking": stay.id, "rating": 5}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the guest who stayed can review this booking."}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": -3}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"rating": None}, "rating"),
        ({"booking": 987654321}, "booking"),
        ({"booking": "abc"}, "booking"),
        ({"booking": [1]}, "booking"),
        ({"comment": "x" * 5001}, "comment"),
    ],
)
def test_bad_input_is_400_with_the_field_named(client_for, guest, stay, change, field):
    response = client_for(guest).post(URL, {"booking": stay.id, "rating": 5, **change},
                                      format="json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Review.objects.exists()


def test_anonymous_is_401_and_listing_reviews_is_read_only(api_client, stay):
    assert api_client.post(URL, {"booking": stay.id, "rating": 5}, format="json").status_code == 401
    response = api_client.post(f"/api/listings/{stay.listing_id}/reviews/", {}, format="json")
    assert response.status_code in (401, 405)
