"""listings.services, called directly: the rules hold for every caller, not just the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from bookings.models import BookingStatus
from listings.services import (
    ListingHasBookingsError,
    listing_create,
    listing_delete,
    listing_update,
)
from testsupport.factories import BookingFactory, ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_listing_create_checks_the_model_constraints():
    host = ListingFactory().host
    with pytest.raises(ValidationError) as excinfo:
        listing_create(host=host, title="Free room", city="gondar", address="Somewhere",
                       price_per_night=Decimal("0"), max_guests=2)  # fmt: skip
    assert "The price per night must be greater than zero." in str(excinfo.value)


def test_listing_update_refuses_fields_that_are_not_editable():
    listing = ListingFactory()
    with pytest.raises(ValueError, match="host"):
        listing_update(listing=listing, data={"host": UserFactory()})


def test_listing_delete_refuses_a_booked_listing():
    booking = BookingFactory(status=BookingStatus.CANCELLED)  # even a cancelled one
    with pytest.raises(ListingHasBookingsError):
        listing_delete(listing=booking.listing)
