"""The async availability view (bookings/async_views.py), called through Django's AsyncClient.

``AsyncClient`` drives the ASGI handler, so the view runs as an ASGI server would run it: on an
event loop. ``async_to_sync`` runs that loop from these synchronous tests, and runs the ORM's
thread-sensitive work on this thread — inside the test's transaction, so the factories' rows are
visible. The tests run without ``DJANGO_ALLOW_ASYNC_UNSAFE``: a synchronous ORM call slipping
into the view raises ``SynchronousOnlyOperation`` here.
"""

import asyncio
import os
from datetime import date
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from bookings.async_views import listing_availability
from bookings.models import BookingStatus
from testsupport.factories import BookingFactory, ListingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def availability(listing_id: int, **params: str):
    """GET the availability of ``listing_id`` through the ASGI handler; the response."""
    return async_to_sync(AsyncClient().get)(f"/api/listings/{listing_id}/availability/", params)


@pytest.fixture(autouse=True)
def _django_guards_async_code(monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


def test_the_view_is_a_coroutine_function():
    assert asyncio.iscoroutinefunction(listing_availability)
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ


def test_free_nights_are_available_with_their_price():
    listing = ListingFactory(price_per_night=Decimal("1500.00"))
    ReviewFactory(booking__listing=listing, rating=4)

    response = availability(listing.pk, check_in="2031-05-01", check_out="2031-05-04")

    assert response.status_code == 200
    body = response.json()
    assert body["available"] is True and body["conflicts"] == []
    assert body["nights"] == 3 and body["total_price"] == "4500.00"
    assert body["listing"]["id"] == listing.pk
    assert body["listing"]["review_count"] == 1  # the catalogue's card, rating summary included


def test_overlapping_active_bookings_are_conflicts_and_others_are_not():
    listing = ListingFactory()
    BookingFactory(listing=listing, check_in=date(2031, 5, 2), check_out=date(2031, 5, 3))
    BookingFactory(listing=listing, check_in=date(2031, 4, 28), check_out=date(2031, 5, 1),
                   status=BookingStatus.PENDING)  # ends on our check-in day: no overlap
    BookingFactory(listing=listing, check_in=date(2031, 5, 3), check_out=date(2031, 5, 5),
                   status=BookingStatus.CANCELLED)  # cancelled: frees its nights

    body = availability(listing.pk, check_in="2031-05-01", check_out="2031-05-04").json()

    assert body["available"] is False
    assert body["conflicts"] == [{"check_in": "2031-05-02", "check_out": "2031-05-03"}]


@pytest.mark.parametrize(("params", "field"), [
    ({"check_in": "2031-05-01"}, "check_out"),
    ({"check_in": "tomorrow", "check_out": "2031-05-04"}, "check_in"),
    ({"check_in": "2031-05-04", "check_out": "2031-05-04"}, "check_out"),
])
def test_bad_dates_are_a_400_naming_the_parameter(params, field):
    response = availability(ListingFactory().pk, **params)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_and_inactive_listings_are_404():
    inactive = ListingFactory(is_active=False)
    stay = {"check_in": "2031-05-01", "check_out": "2031-05-04"}
    assert availability(inactive.pk, **stay).status_code == 404
    assert availability(inactive.pk + 10_000, **stay).status_code == 404


def test_only_get_is_allowed():
    response = async_to_sync(AsyncClient().post)(
        f"/api/listings/{ListingFactory().pk}/availability/")
    assert response.status_code == 405
