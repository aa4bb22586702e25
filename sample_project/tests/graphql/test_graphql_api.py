"""The GraphQL API at /graphql: the same reads, rules and services as the REST API.

Every request goes through the real view over HTTP semantics (Django's test client): JWT in
the Authorization header, session cookies with CSRF, and JSON bodies, as a real client sends.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from config.schema import build_schema
from listings.models import City
from testsupport.clients import bearer
from testsupport.factories import (
    TEST_PASSWORD,
    BookingFactory,
    HostFactory,
    ListingFactory,
    ReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/graphql"

LISTINGS = """
query Search($city: String, $minPrice: Decimal, $maxPrice: Decimal, $guests: Int,
             $offset: Int! = 0, $limit: Int) {
  listings(city: $city, minPrice: $minPrice, maxPrice: $maxPrice, guests: $guests,
           pagination: {offset: $offset, limit: $limit}) {
    totalCount
    results { id title city pricePerNight maxGuests host { username } }
  }
}"""
CREATE = """
mutation Book($data: BookingInput!) {
  createBooking(data: $data) { id status nights totalPrice listing { id } guest { username } }
}"""
CANCEL = "mutation Cancel($id: ID!) { cancelBooking(id: $id) { id status } }"
BOOKINGS = "{ bookings { totalCount results { id listing { title } guest { username } } } }"
NESTED = """
{ listings(pagination: {limit: 50}) {
    results { title host { username } reviews { rating author { username } } } } }"""


def graphql(query, variables=None, *, user=None, client=None):
    """POST a GraphQL request (with a JWT for ``user``); the response's JSON, checked not 500."""
    client = client or Client()
    headers = {"HTTP_AUTHORIZATION": bearer(user)} if user else {}
    response = client.post(URL, {"query": query, "variables": variables or {}},
                           content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def error_of(body):
    """The one error of a response, as (code, message, extensions)."""
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"], error["extensions"]


@pytest.fixture
def arrival():
    return timezone.localdate() + timedelta(days=60)


@pytest.fixture
def listing(host):
    return ListingFactory(host=host, price_per_night=Decimal("1500.00"), max_guests=3)


def booking_input(listing, arrival, *, nights=3, guests=2, **overrides):
    return {"data": {"listingId": str(listing.pk), "checkIn": str(arrival),
                     "checkOut": str(arrival + timedelta(days=nights)), "guests": guests,
                     **overrides}}


# --- queries, filters, pagination ------------------------------------------------------------


def test_listings_are_searched_with_the_rest_filters():
    ListingFactory(city=City.GONDAR, price_per_night=Decimal("900.00"), max_guests=2)
    wanted = ListingFactory(city=City.GONDAR, price_per_night=Decimal("1200.00"), max_guests=4)
    ListingFactory(city=City.GONDAR, price_per_night=Decimal("5000.00"), max_guests=6)
    ListingFactory(city=City.HARAR, price_per_night=Decimal("1200.00"), max_guests=4)
    ListingFactory(city=City.GONDAR, price_per_night=Decimal("1200.00"), is_active=False)

    data = graphql(LISTINGS, {"city": "gondar", "minPrice": "1000", "maxPrice": "2000",
                              "guests": 3})["data"]["listings"]

    assert data["totalCount"] == 1
    assert data["results"] == [{"id": str(wanted.pk), "title": wanted.title, "city": "gondar",
                                "pricePerNight": "1200.00", "maxGuests": 4,
                                "host": {"username": wanted.host.username}}]


def test_pagination_takes_offset_and_limit_and_counts_everything():
    listings = ListingFactory.create_batch(5)

    page = graphql(LISTINGS, {"offset": 2, "limit": 2})["data"]["listings"]

    assert page["totalCount"] == 5
    assert [row["id"] for row in page["results"]] == [str(item.pk) for item in listings[2:4]]


def test_a_limit_above_the_maximum_is_capped():
    ListingFactory.create_batch(3)
    query = "{ listings(pagination: {limit: 100000}) { pageInfo { limit } } }"

    assert graphql(query)["data"]["listings"]["pageInfo"]["limit"] == 100


@pytest.mark.parametrize(("variables", "field", "message"), [
    ({"city": "paris"}, "city",
     "Select a valid choice. paris is not one of the available choices."),
    ({"minPrice": "5000", "maxPrice": "100"}, "max_price",
     "max_price must not be below min_price."),
    ({"guests": 0}, "guests", "Ensure this value is greater than or equal to 1."),
])
def test_bad_search_input_is_an_error_with_field_messages_not_a_500(variables, field, message):
    body = graphql(LISTINGS, variables)

    code, _, extensions = error_of(body)
    assert (code, extensions["fields"]) == ("BAD_USER_INPUT", {field: [message]})
    assert body["data"] is None


def test_a_wrongly_typed_argument_is_refused_before_any_resolver_runs():
    body = graphql(LISTINGS, {"guests": "two"})

    assert "Int cannot represent non-integer value" in body["errors"][0]["message"]


def test_an_inactive_listing_is_null_for_others_and_visible_to_its_host(host):
    hidden = ListingFactory(host=host, is_active=False)
    query = "query One($id: ID!) { listing(id: $id) { title } }"

    assert graphql(query, {"id": str(hidden.pk)}, user=UserFactory())["data"]["listing"] is None
    assert graphql(query, {"id": str(hidden.pk)}, user=host)["data"]["listing"] == {
        "title": hidden.title}
    assert graphql(query, {"id": "not-a-number"})["data"]["listing"] is None


def test_reviews_of_a_listing_and_of_an_unknown_one():
    review = ReviewFactory(rating=4)
    query = "query R($id: ID!) { reviews(listingId: $id) { totalCount results { rating } } }"

    assert graphql(query, {"id": str(review.listing_id)})["data"]["reviews"] == {
        "totalCount": 1, "results": [{"rating": 4}]}
    code, message, _ = error_of(graphql(query, {"id": "999999"}))
    assert (code, message) == ("NOT_FOUND", "No Listing matches the given query.")


def test_listing_ratings_and_the_latest_reviews_in_one_query():
    listing = ListingFactory()
    for rating in (2, 4, 5):
        ReviewFactory(booking__listing=listing, rating=rating)
    query = """query L($id: ID!) { listing(id: $id) {
        averageRating reviewCount
        reviews(ordering: [{id: DESC}], pagination: {limit: 2}) { rating } } }"""

    assert graphql(query, {"id": str(listing.pk)})["data"]["listing"] == {
        "averageRating": 3.67, "reviewCount": 3, "reviews": [{"rating": 5}, {"rating": 4}]}


# --- bookings: the same visibility as REST -----------------------------------------------------


def test_bookings_need_a_login():
    code, message, _ = error_of(graphql(BOOKINGS))
    assert (code, message) == ("UNAUTHENTICATED", "Authentication credentials were not provided.")


def test_each_user_sees_only_the_bookings_rest_would_show(guest, host, listing):
    mine = BookingFactory(guest=guest, listing=listing)
    BookingFactory()  # someone else's, elsewhere

    def ids(user):
        return [row["id"] for row in graphql(BOOKINGS, user=user)["data"]["bookings"]["results"]]

    assert ids(guest) == [str(mine.pk)]
    assert ids(host) == [str(mine.pk)]  # a booking at the host's listing
    assert ids(UserFactory()) == []


# --- mutations: the same services and permission rules ----------------------------------------


def test_a_guest_books_through_the_service(guest, listing, arrival):
    created = graphql(CREATE, booking_input(listing, arrival), user=guest)["data"]["createBooking"]

    assert created["status"] == "pending"
    assert (created["nights"], created["totalPrice"]) == (3, "4500.00")
    assert created["guest"] == {"username": guest.username}
    assert Booking.objects.get(pk=created["id"]).guest == guest


def test_anonymous_booking_is_refused_and_writes_nothing(listing, arrival):
    code, _, _ = error_of(graphql(CREATE, booking_input(listing, arrival)))

    assert code == "UNAUTHENTICATED"
    assert not Booking.objects.exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"nights": 0}, "check_out", "Check-out must be after check-in."),
    ({"guests": 9}, "guests", "This listing accepts at most 3 guests."),
    ({"days_ago": 3}, "check_in", "Check-in cannot be in the past."),
])
def test_invalid_bookings_are_errors_with_field_messages(guest, listing, arrival, overrides,
                                                        field, message):
    start = arrival - timedelta(days=60 + overrides.pop("days_ago", -60))
    variables = booking_input(listing, start, **overrides)

    code, _, extensions = error_of(graphql(CREATE, variables, user=guest))

    assert code == "BAD_USER_INPUT"
    assert extensions["fields"][field] == [message]


def test_a_host_cannot_book_their_own_listing(host, listing, arrival):
    _, _, extensions = error_of(graphql(CREATE, booking_input(listing, arrival), user=host))
    assert extensions["fields"] == {"listing": ["You cannot book your own listing."]}


def test_another_hosts_inactive_listing_reads_as_a_wrong_id(guest, arrival):
    hidden = ListingFactory(is_active=False)

    _, _, extensions = error_of(graphql(CREATE, booking_input(hidden, arrival), user=guest))

    assert extensions["fields"] == {
        "listing": [f'Invalid pk "{hidden.pk}" - object does not exist.']}


def test_overlapping_dates_are_a_conflict_with_a_reason(guest, listing, arrival):
    graphql(CREATE, booking_input(listing, arrival), user=guest)

    body = graphql(CREATE, booking_input(listing, arrival + timedelta(days=1)), user=UserFactory())

    code, message, extensions = error_of(body)
    assert (code, extensions["reason"]) == ("CONFLICT", "booking_overlap")
    assert message == "The listing is already booked for some of these dates."


def test_cancel_follows_the_rest_rules(guest, host, listing):
    booking = BookingFactory(guest=guest, listing=listing, status=BookingStatus.PENDING)
    variables = {"id": str(booking.pk)}

    assert error_of(graphql(CANCEL, variables))[0] == "UNAUTHENTICATED"
    assert error_of(graphql(CANCEL, variables, user=UserFactory()))[:2] == (
        "NOT_FOUND", "No Booking matches the given query.")
    assert error_of(graphql(CANCEL, variables, user=HostFactory()))[0] == "NOT_FOUND"
    assert error_of(graphql(CANCEL, variables, user=host))[:2] == (
        "FORBIDDEN", "Only the guest who booked (or an admin) can cancel this booking.")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING

    cancelled = graphql(CANCEL, variables, user=guest)["data"]["cancelBooking"]
    assert cancelled == {"id": str(booking.pk), "status": "cancelled"}

    code, _, extensions = error_of(graphql(CANCEL, variables, user=guest))
    assert (code, extensions["reason"]) == ("CONFLICT", "booking_not_cancellable")


def test_cancelling_an_id_that_cannot_exist_is_not_found(guest):
    assert error_of(graphql(CANCEL, {"id": "abc"}, user=guest))[0] == "NOT_FOUND"


def test_an_admin_may_cancel_any_booking(admin):
    booking = BookingFactory(status=BookingStatus.PENDING)
    assert graphql(CANCEL, {"id": str(booking.pk)}, user=admin)["data"]["cancelBooking"][
        "status"] == "cancelled"


# --- authentication: the REST API's classes ---------------------------------------------------


def test_a_bad_token_is_a_401_like_rest():
    response = Client().post(URL, {"query": BOOKINGS}, content_type="application/json",
                             HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_session_works_and_its_unsafe_requests_need_the_csrf_token(guest, listing, arrival):
    browser = Client(enforce_csrf_checks=True)
    login = browser.post("/api/auth/login/", {"username": guest.username,
                                              "password": TEST_PASSWORD},
                         content_type="application/json")
    assert login.status_code == 200
    # A query sent with GET is safe: the session alone is enough (mutations refuse GET).
    read = browser.get(URL, {"query": BOOKINGS})
    assert read.json()["data"]["bookings"]["totalCount"] == 0

    variables = booking_input(listing, arrival)
    without = browser.post(URL, {"query": CREATE, "variables": variables},
                           content_type="application/json")
    assert without.status_code == 403
    assert "CSRF" in without.json()["errors"][0]["message"]

    token = browser.cookies["csrftoken"].value
    with_token = browser.post(URL, {"query": CREATE, "variables": variables},
                              content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert with_token.json()["data"]["createBooking"]["guest"] == {"username": guest.username}


def test_a_bearer_client_needs_no_csrf_token(guest, listing, arrival):
    client = Client(enforce_csrf_checks=True)
    body = graphql(CREATE, booking_input(listing, arrival), user=guest, client=client)
    assert body["data"]["createBooking"]["status"] == "pending"


def test_graphiql_is_not_served_without_debug():
    response = Client().get(URL, HTTP_ACCEPT="text/html")
    assert b"unpkg.com" not in response.content


# --- limits and unexpected errors -------------------------------------------------------------


def test_a_query_nested_too_deep_is_refused_before_it_runs():
    schema = build_schema(max_depth=3)
    result = schema.execute_sync(NESTED, context_value=None)
    assert "exceeds maximum operation depth of 3" in result.errors[0].message


def test_too_many_aliases_are_refused():
    query = "{ " + " ".join(f"a{n}: listings {{ totalCount }}" for n in range(20)) + " }"
    assert "aliases" in graphql(query)["errors"][0]["message"]


def test_an_unexpected_error_is_masked(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("relation listings_secret does not exist")

    monkeypatch.setattr("listings.graphql.listing_list_visible_to", broken)

    [error] = graphql(LISTINGS)["errors"]

    assert error["message"] == "Unexpected error."
    assert "extensions" not in error


# --- N+1: the optimizer keeps the query count constant ----------------------------------------


def queries_for(query, schema=None):
    """How many SQL queries one request for ``query`` costs (through the view, or a schema)."""
    with CaptureQueriesContext(connection) as captured:
        if schema is None:
            assert "errors" not in graphql(query)
        else:
            from django.contrib.auth.models import AnonymousUser
            from django.test import RequestFactory

            request = RequestFactory().post(URL)
            request.user = AnonymousUser()
            assert schema.execute_sync(query, context_value=_Context(request)).errors is None
    return len(captured)


class _Context:
    def __init__(self, request):
        self.request = request


def add_listings_with_reviews(count):
    for _ in range(count):
        listing = ListingFactory()
        ReviewFactory.create_batch(2, booking__listing=listing, listing=listing)


def test_nested_listings_cost_a_constant_number_of_queries_with_the_optimizer():
    add_listings_with_reviews(2)
    few = queries_for(NESTED)
    add_listings_with_reviews(6)
    many = queries_for(NESTED)

    assert few == many == 2  # listings joined with hosts; all their reviews joined with authors


def test_without_the_optimizer_the_same_query_grows_with_the_rows():
    unoptimized = build_schema(optimizer=False)
    add_listings_with_reviews(2)
    few = queries_for(NESTED, unoptimized)
    add_listings_with_reviews(6)
    many = queries_for(NESTED, unoptimized)

    # one query per listing for its reviews, one per review for its author
    assert many - few == 6 + 6 * 2


def test_graphiql_loads_only_our_own_vendored_files(client, settings):
    """The IDE page names no CDN, and every file it names is served, matching its SRI hash."""
    import base64
    import hashlib
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    from config.graphql_view import APIGraphQLView
    from config.schema import schema

    page = APIGraphQLView(schema=schema, graphql_ide="graphiql").graphql_ide_html
    assert "unpkg.com" not in page and "https://" not in re.sub(r"<!--.*?-->", "", page, flags=re.S)
    tags = re.findall(r'(?:src|href)="(/static/[^"]+)"\s+integrity="(sha384-[^"]+)"', page)
    assert len(tags) == 7
    for url, integrity in tags:
        path = finders.find(url.removeprefix(settings.STATIC_URL))
        assert path, f"{url} is not among the static files"
        digest = base64.b64encode(hashlib.sha384(Path(path).read_bytes()).digest()).decode()
        assert integrity == f"sha384-{digest}", f"{url} differs from the file the page pins"
