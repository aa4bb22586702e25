"""The listings API: shape, pagination, errors, query count, and its documentation."""

import pytest
from django.urls import reverse

from listings.models import Listing

from .factories import ListingFactory, ReviewFactory

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


def test_detail(api_client):
    listing = ListingFactory()
    ReviewFactory(booking__listing=listing, rating=3)

    response = api_client.get(detail_url(listing.id))

    assert response.status_code == 200
    assert response.json()["id"] == listing.id
    assert response.json()["average_rating"] == 3.0


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


@pytest.mark.parametrize("listings", [5, 50])
def test_list_costs_the_same_queries_for_5_or_50_listings(
    api_client, django_assert_num_queries, listings
):
    for _ in range(listings):
        ReviewFactory(rating=4)  # each review brings its own listing, host and guest

    # One COUNT(*) for the paginator, one SELECT for the page (hosts joined, ratings
    # aggregated). A per-listing query for the host or the reviews would show up here.
    with django_assert_num_queries(2):
        response = api_client.get(LIST_URL, {"page_size": 100})

    assert len(response.json()["results"]) == listings


# --- documentation ---------------------------------------------------------------------


def test_openapi_schema_describes_the_listing_endpoints(api_client):
    response = api_client.get(reverse("api-schema"))
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/listings/" in schema
    assert "/api/listings/{id}/" in schema
    assert "Nexus Stays API" in schema


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    page = response.content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in page
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"):
        assert cdn not in page
    # And the bundle really is served by us.
    asset = client.get(bundle)
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)


# --- admin -----------------------------------------------------------------------------


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "model", ["accounts/user", "listings/listing", "listings/review", "bookings/booking",
              "payments/payment"],
)  # fmt: skip
def test_admin_pages_render(admin_client, model):
    ReviewFactory()  # a row in most tables, so list_display columns are rendered
    assert admin_client.get(f"/admin/{model}/").status_code == 200
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200
