"""Searching listings: city, price, party size, free dates, ordering — and bad parameters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import BookingStatus
from listings.models import Listing
from listings.selectors import listing_list_available
from testsupport.factories import BookingFactory, ListingFactory, ReviewFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/listings/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_city_price_and_guests(api_client):
    cheap = ListingFactory(city="gondar", price_per_night=Decimal("900"), max_guests=2)
    roomy = ListingFactory(city="gondar", price_per_night=Decimal("2500"), max_guests=6)
    ListingFactory(city="harar", price_per_night=Decimal("900"), max_guests=6)

    assert ids(api_client.get(LIST_URL, {"city": "gondar"})) == [cheap.id, roomy.id]
    assert ids(api_client.get(LIST_URL, {"city": "gondar", "max_price": "1000"})) == [cheap.id]
    assert ids(api_client.get(LIST_URL, {"city": "gondar", "min_price": "1000"})) == [roomy.id]
    assert ids(api_client.get(LIST_URL, {"city": "gondar", "guests": 3})) == [roomy.id]
    # Bounds are inclusive.
    assert ids(api_client.get(LIST_URL, {"min_price": "900", "max_price": "900"})) != []


@pytest.fixture
def stay():
    """Requested nights: 10 to 13 days from now (check-out day 13 is not a night)."""
    today = timezone.localdate()
    return today + timedelta(days=10), today + timedelta(days=13)


def book(listing, check_in, check_out, status=BookingStatus.CONFIRMED):
    return BookingFactory(listing=listing, check_in=check_in, check_out=check_out, status=status)


def test_availability_excludes_overlapping_active_bookings(api_client, stay):
    check_in, check_out = stay
    day = timedelta(days=1)
    free = ListingFactory()
    overlapped = ListingFactory()
    book(overlapped, check_in + day, check_out + day)  # pending/confirmed overlap → taken
    pending = ListingFactory()
    book(pending, check_in - day, check_in + day, status=BookingStatus.PENDING)
    before = ListingFactory()
    book(before, check_in - 3 * day, check_in)  # leaves the morning we arrive
    after = ListingFactory()
    book(after, check_out, check_out + 2 * day)  # arrives the day we leave
    cancelled = ListingFactory()
    book(cancelled, check_in, check_out, status=BookingStatus.CANCELLED)

    found = ids(api_client.get(LIST_URL, {"check_in": check_in, "check_out": check_out}))

    assert found == [free.id, before.id, after.id, cancelled.id]
    # The same answer straight from the selector the filter uses.
    available = listing_list_available(check_in=check_in, check_out=check_out)
    assert list(available.values_list("id", flat=True)) == found


def test_availability_combines_with_the_other_filters(api_client, stay):
    check_in, check_out = stay
    match = ListingFactory(city="axum", max_guests=4)
    book(ListingFactory(city="axum", max_guests=4), check_in, check_out)
    ListingFactory(city="axum", max_guests=1)

    response = api_client.get(
        LIST_URL, {"city": "axum", "guests": 2, "check_in": check_in, "check_out": check_out}
    )

    assert ids(response) == [match.id]
    assert response.json()["count"] == 1


def test_ordering_by_price_breaks_ties_by_id(api_client):
    a = ListingFactory(price_per_night=Decimal("2000"))
    b = ListingFactory(price_per_night=Decimal("1000"))
    c = ListingFactory(price_per_night=Decimal("2000"))

    assert ids(api_client.get(LIST_URL, {"ordering": "price_per_night"})) == [b.id, a.id, c.id]
    assert ids(api_client.get(LIST_URL, {"ordering": "-price_per_night"})) == [a.id, c.id, b.id]
    assert ids(api_client.get(LIST_URL, {"ordering": "-id"})) == [c.id, b.id, a.id]


def test_ordering_by_rating_puts_unrated_listings_last(api_client):
    unrated = ListingFactory()
    good = ListingFactory()
    ReviewFactory(booking__listing=good, rating=5)
    poor = ListingFactory()
    ReviewFactory(booking__listing=poor, rating=2)

    best_first = ids(api_client.get(LIST_URL, {"ordering": "-average_rating"}))
    worst_first = ids(api_client.get(LIST_URL, {"ordering": "average_rating"}))

    assert best_first == [good.id, poor.id, unrated.id]
    assert worst_first == [poor.id, good.id, unrated.id]


def test_ordered_pages_neither_repeat_nor_skip(api_client):
    host = ListingFactory().host
    Listing.objects.bulk_create(
        ListingFactory.build(host=host, price_per_night=Decimal(1000 + n % 3)) for n in range(44)
    )
    seen = []
    for page in (1, 2, 3):
        seen += ids(
            api_client.get(LIST_URL, {"ordering": "price_per_night", "page": page, "page_size": 15})
        )
    assert len(seen) == len(set(seen)) == 45


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"check_in": "2030-01-10"}, "check_out"),
        ({"check_out": "2030-01-10"}, "check_in"),
        ({"check_in": "2030-01-10", "check_out": "2030-01-10"}, "check_out"),
        ({"check_in": "2030-01-10", "check_out": "2030-01-09"}, "check_out"),
        ({"check_in": "2030-02-30", "check_out": "2030-03-02"}, "check_in"),
        ({"check_in": "tomorrow", "check_out": "2030-03-02"}, "check_in"),
        ({"guests": "-1"}, "guests"),
        ({"guests": "0"}, "guests"),
        ({"guests": "2.5"}, "guests"),
        ({"guests": "many"}, "guests"),
        ({"guests": "99999999999"}, "guests"),
        ({"min_price": "abc"}, "min_price"),
        ({"min_price": "-5"}, "min_price"),
        ({"min_price": "1e400"}, "min_price"),
        ({"max_price": "NaN"}, "max_price"),
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"city": "paris"}, "city"),
        ({"ordering": "password"}, "ordering"),
    ],
)
def test_bad_search_parameters_are_400_with_the_parameter_named(api_client, params, field):
    ListingFactory()
    response = api_client.get(LIST_URL, params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert field in response.json()


def test_unknown_parameters_are_ignored(api_client):
    listing = ListingFactory()
    assert ids(api_client.get(LIST_URL, {"colour": "blue"})) == [listing.id]


def test_search_parameters_do_not_hide_a_listing_on_its_own_page(api_client):
    listing = ListingFactory(city="gondar")
    response = api_client.get(f"/api/listings/{listing.id}/", {"city": "harar"})
    assert response.status_code == 200
