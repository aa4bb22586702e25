"""The bookings API: book, list what you may see, get one, cancel — and every bad input."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from testsupport.factories import BookingFactory, HostFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/bookings/"


@pytest.fixture
def listing(host):
    return ListingFactory(host=host, price_per_night=Decimal("1500.00"), max_guests=3)


@pytest.fixture
def arrival():
    return timezone.localdate() + timedelta(days=45)


def body(listing, arrival, *, nights=3, guests=2, **overrides):
    return {
        "listing": listing.id,
        "check_in": str(arrival),
        "check_out": str(arrival + timedelta(days=nights)),
        "guests": guests,
        **overrides,
    }


# --- create ----------------------------------------------------------------------------


def test_guest_books_a_pending_stay_priced_by_the_service(client_for, guest, listing, arrival):
    response = client_for(guest).post(LIST_URL, body(listing, arrival), format="json")

    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "pending"
    assert (data["nights"], data["guests"], data["total_price"]) == (3, 2, "4500.00")
    assert data["listing"] == {"id": listing.id, "title": listing.title, "city": "addis-ababa"}
    assert data["guest"] == {"id": guest.id, "username": "guest"}
    assert Booking.objects.get(pk=data["id"]).guest == guest


def test_overlap_is_a_409_with_a_code_never_a_500(client_for, guest, listing, arrival):
    first = client_for(guest).post(LIST_URL, body(listing, arrival), format="json")
    assert first.status_code == 201

    response = client_for(UserFactory()).post(
        LIST_URL, body(listing, arrival + timedelta(days=2)), format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The listing is already booked for some of these dates.",
        "code": "booking_overlap",
    }


def test_back_to_back_is_fine(client_for, guest, listing, arrival):
    client_for(guest).post(LIST_URL, body(listing, arrival, nights=3), format="json")
    response = client_for(UserFactory()).post(
        LIST_URL, body(listing, arrival + timedelta(days=3)), format="json"
    )
    assert response.status_code == 201


def test_host_cannot_book_their_own_listing(client_for, host, listing, arrival):
    response = client_for(host).post(LIST_URL, body(listing, arrival), format="json")
    assert response.status_code == 400
    assert response.json() == {"listing": ["You cannot book your own listing."]}


def test_another_host_may_book(client_for, listing, arrival):
    response = client_for(HostFactory()).post(LIST_URL, body(listing, arrival), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # Rules the service applies (Django ValidationError → 400 in one place).
        ({"nights": 0}, "check_out"),
        ({"nights": -2}, "check_out"),
        ({"guests": 4}, "guests"),  # over the listing's max_guests
        # Shape the serializer checks.
        ({"guests": -1}, "guests"),
        ({"guests": 0}, "guests"),
        ({"guests": "two"}, "guests"),
        ({"guests": 1.5}, "guests"),
        ({"check_in": "2030-02-30"}, "check_in"),
        ({"check_in": "next week"}, "check_in"),
        ({"check_out": 20300101}, "check_out"),
        ({"listing": 987654321}, "listing"),
        ({"listing": "abc"}, "listing"),
        ({"listing": 99999999999999999999}, "listing"),
        ({"listing": None}, "listing"),
    ],
)
def test_bad_input_is_400_with_the_field_named(client_for, guest, listing, arrival, change, field):
    fields = {key: value for key, value in change.items() if key != "nights"}
    payload = {**body(listing, arrival, nights=change.get("nights", 3)), **fields}
    response = client_for(guest).post(LIST_URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Booking.objects.exists()


def test_check_in_in_the_past_is_refused(client_for, guest, listing):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client_for(guest).post(LIST_URL, body(listing, yesterday), format="json")
    assert response.status_code == 400
    assert "check_in" in response.json()


def test_missing_fields_and_malformed_json(client_for, guest):
    response = client_for(guest).post(LIST_URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"listing", "check_in", "check_out", "guests"}

    response = client_for(guest).generic(
        "POST", LIST_URL, '{"listing": 1,,}', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_inactive_listings_cannot_be_booked(client_for, guest, host, arrival):
    hidden = ListingFactory(host=host, is_active=False)
    response = client_for(guest).post(LIST_URL, body(hidden, arrival), format="json")
    # Invisible to the guest: reported like an unknown id.
    assert response.status_code == 400
    assert "listing" in response.json()


# --- list and detail ---------------------------------------------------------------------


@pytest.fixture
def bookings(guest, host, listing):
    """mine: guest at host's listing; theirs: someone else at host's listing; elsewhere."""
    return {
        "mine": BookingFactory(guest=guest, listing=listing, check_in=timezone.localdate()),
        "theirs": BookingFactory(listing=listing, check_in=timezone.localdate()
                                 + timedelta(days=20)),
        "elsewhere": BookingFactory(),
        "host_as_guest": BookingFactory(guest=host),
    }  # fmt: skip


def listed(client) -> list[int]:
    response = client.get(LIST_URL)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]]


def test_list_is_filtered_by_who_asks(client_for, guest, host, admin, bookings):
    assert listed(client_for(guest)) == [bookings["mine"].id]
    # A host: bookings at their listings, plus the trips they booked themselves.
    assert listed(client_for(host)) == sorted(
        [bookings["mine"].id, bookings["theirs"].id, bookings["host_as_guest"].id]
    )
    assert len(listed(client_for(admin))) == 4
    assert listed(client_for(UserFactory())) == []


def test_detail_of_a_booking_you_cannot_see_is_a_404(client_for, guest, bookings):
    mine = client_for(guest).get(f"{LIST_URL}{bookings['mine'].id}/")
    theirs = client_for(guest).get(f"{LIST_URL}{bookings['theirs'].id}/")
    missing = client_for(guest).get(f"{LIST_URL}987654321/")
    malformed = client_for(guest).get(f"{LIST_URL}abc/")

    assert mine.status_code == 200 and mine.json()["id"] == bookings["mine"].id
    # Indistinguishable from an id that doesn't exist: same status, same body.
    assert theirs.status_code == missing.status_code == malformed.status_code == 404
    assert theirs.json() == missing.json()


def test_anonymous_gets_401_with_a_bearer_challenge(api_client):
    response = api_client.get(LIST_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("page_size", [10, 50, 100])
def test_list_query_count_is_constant(client_for, admin, django_assert_num_queries, page_size):
    for _ in range(100):
        BookingFactory()  # each with its own listing and guest
    # The user (from the JWT), the count, the page with listing and guest joined.
    with django_assert_num_queries(3):
        response = client_for(admin).get(LIST_URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize(("page", "page_size"), [("abc", None), ("999", None), ("1", "1000")])
def test_odd_pages(client_for, guest, bookings, page, page_size):
    params = {"page": page} | ({"page_size": page_size} if page_size else {})
    response = client_for(guest).get(LIST_URL, params)
    assert response.status_code in (200, 404)
    assert response["Content-Type"] == "application/json"


# --- cancel ------------------------------------------------------------------------------


def cancel(client, booking):
    return client.post(f"{LIST_URL}{booking.id}/cancel/")


def test_guest_cancels_their_booking_and_frees_the_nights(client_for, guest, listing, arrival):
    booked = client_for(guest).post(LIST_URL, body(listing, arrival), format="json").json()
    booking = Booking.objects.get(pk=booked["id"])

    response = cancel(client_for(guest), booking)

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    other = client_for(UserFactory()).post(LIST_URL, body(listing, arrival), format="json")
    assert other.status_code == 201


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.COMPLETED])
def test_only_active_bookings_can_be_cancelled(client_for, guest, status):
    booking = BookingFactory(guest=guest, status=status)
    response = cancel(client_for(guest), booking)
    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_cancellable"
    booking.refresh_from_db()
    assert booking.status == status


def test_host_sees_but_cannot_cancel_a_booking_at_their_listing(client_for, host, bookings):
    booking = bookings["mine"]
    assert client_for(host).get(f"{LIST_URL}{booking.id}/").status_code == 200

    response = cancel(client_for(host), booking)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the guest who booked (or an admin) can cancel this booking."
    }
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_cancel_is_post_only(client_for, guest, bookings):
    response = client_for(guest).get(f"{LIST_URL}{bookings['mine'].id}/cancel/")
    assert response.status_code == 405
