"""The listings API, reading: shape, pagination, errors, query count, and its documentation.

Writes (create, update, delete) are in test_api_listings_write.py, search filters in
test_api_listings_search.py.
"""

import pytest

from listings.models import Listing
from testsupport.factories import ListingFactory, ReviewFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/listings/"


def detail_url(listing_id: int) -> str:
    return f"/api/listings/{listing_id}/"


def test_list_shape_and_rating_summary(api_client):
    rated = ListingFactory(title="Lakeview cottage in Bahir Dar", city="bahir-dar")
    for rating in (5, 4, 4):
        ReviewFactory(booking__listing=rated, rating=rating)
    unrated = ListingFactory()

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [rated.id, unrated.id]
    first, second = body["results"]
    assert first == {
        "id": rated.id,
        "title": "Lakeview cottage in Bahir Dar",
        "city": "bahir-dar",
        "price_per_night": "1500.00",
        "max_guests": 4,
        "bedrooms": 2,
        "host": {"id": rated.host_id, "username": rated.host.username},
        "average_rating": 4.33,
        "review_count": 3,
    }
    assert (second["average_rating"], second["review_count"]) == (None, 0)


def test_inactive_listings_are_hidden(api_client):
    hidden = ListingFactory(is_active=False)
    shown = ListingFactory()

    ids = [item["id"] for item in api_client.get(LIST_URL).json()["results"]]

    assert ids == [shown.id]
    assert api_client.get(detail_url(hidden.id)).status_code == 404


def test_detail_adds_the_long_fields(api_client):
    listing = ListingFactory()
    ReviewFactory(booking__listing=listing, rating=3)

    response = api_client.get(detail_url(listing.id))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == listing.id
    assert body["average_rating"] == 3.0
    assert body["description"] == "A place to stay."
    assert body["address"] == listing.address
    assert body["is_active"] is True


@pytest.mark.parametrize("listing_id", ["987654321", "abc", "99999999999999999999", "-1"])
def test_unknown_or_malformed_id_is_a_json_404(api_client, listing_id):
    ListingFactory()
    response = api_client.get(f"/api/listings/{listing_id}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_unknown_id_is_a_json_404(api_client):
    response = api_client.get(detail_url(987654321))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- pagination ------------------------------------------------------------------------


@pytest.fixture
def many_listings():
    host = ListingFactory().host
    Listing.objects.bulk_create(
        ListingFactory.build(host=host, title=f"Stay {n}") for n in range(104)
    )
    return Listing.objects.count()  # 105


def test_pages_of_twenty_in_id_order(api_client, many_listings):
    first = api_client.get(LIST_URL).json()
    second = api_client.get(LIST_URL, {"page": 2}).json()

    assert first["count"] == many_listings == 105
    assert len(first["results"]) == 20
    ids = [item["id"] for item in first["results"] + second["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 40
    assert first["next"].endswith("?page=2")
    assert first["previous"] is None


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("5", 5), ("100", 100), ("1000", 100), ("abc", 20), ("0", 20), ("-3", 20)],
)
def test_page_size_is_honoured_capped_or_ignored(api_client, many_listings, page_size, expected):
    response = api_client.get(LIST_URL, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


@pytest.mark.parametrize("page", ["999", "0", "abc"])
def test_bad_page_is_a_json_404(api_client, many_listings, page):
    response = api_client.get(LIST_URL, {"page": page})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.fixture
def hundred_reviewed_listings():
    for _ in range(100):
        ReviewFactory(rating=4)  # each review brings its own listing, host and guest


@pytest.mark.parametrize("page_size", [10, 50, 100])
def test_list_costs_two_queries_at_any_page_size(
    api_client, django_assert_num_queries, hundred_reviewed_listings, page_size
):
    # One COUNT(*) for the paginator, one SELECT for the page (hosts joined, ratings
    # aggregated). A per-listing query for the host or the reviews would show up here.
    with django_assert_num_queries(2):
        response = api_client.get(LIST_URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [10, 50, 100])
def test_search_while_logged_in_costs_three_queries_at_any_page_size(
    client_for, host, django_assert_num_queries, hundred_reviewed_listings, page_size
):
    # The same two, plus one to load the user the JWT names. The availability filter
    # is a NOT EXISTS inside the page's SELECT, not a query per listing.
    with django_assert_num_queries(3):
        response = client_for(host).get(
            LIST_URL,
            {"page_size": page_size, "check_in": "2030-01-01", "check_out": "2030-01-05",
             "guests": 2, "ordering": "-average_rating"},
        )  # fmt: skip

    assert len(response.json()["results"]) == page_size


def test_reviews_of_a_listing_are_public_and_paginated(api_client, django_assert_num_queries):
    listing = ListingFactory()
    reviews = [ReviewFactory(booking__listing=listing, rating=r) for r in (5, 3, 4)]
    ReviewFactory()  # another listing's review stays out

    # The listing, the count, the page with authors joined: three, however many reviews.
    with django_assert_num_queries(3):
        response = api_client.get(f"/api/listings/{listing.id}/reviews/", {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [reviews[0].id, reviews[1].id]
    first = body["results"][0]
    assert first["author"] == {"id": reviews[0].author_id, "username": reviews[0].author.username}
    assert (first["listing"], first["booking"], first["rating"]) == (
        listing.id, reviews[0].booking_id, 5,
    )


def test_reviews_of_an_unknown_or_hidden_listing_are_a_404(api_client):
    hidden = ListingFactory(is_active=False)
    assert api_client.get(f"/api/listings/{hidden.id}/reviews/").status_code == 404
    assert api_client.get("/api/listings/987654321/reviews/").status_code == 404


# --- admin -----------------------------------------------------------------------------


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "model", ["accounts/user", "listings/listing", "bookings/booking", "bookings/review",
              "payments/payment"],
)  # fmt: skip
def test_admin_pages_render(admin_client, model):
    ReviewFactory()  # a row in most tables, so list_display columns are rendered
    assert admin_client.get(f"/admin/{model}/").status_code == 200
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200
