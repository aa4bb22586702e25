"""The services behind the API, called directly: the rules hold for every caller."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.services import BookingNotCancellableError, booking_cancel, booking_create
from config.exceptions import ConflictError
from listings.services import (
    ListingHasBookingsError,
    listing_create,
    listing_delete,
    listing_update,
    review_create,
)
from testsupport.factories import BookingFactory, ListingFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_booking_cancel_frees_the_nights():
    booking = BookingFactory(status=BookingStatus.CONFIRMED,
                             check_in=timezone.localdate() + timedelta(days=5))  # fmt: skip
    booking_cancel(booking=booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    again = booking_create(
        listing=booking.listing, guest=UserFactory(),
        check_in=booking.check_in, check_out=booking.check_out, guests=1,
    )  # fmt: skip
    assert again.status == BookingStatus.PENDING


def test_booking_cancel_twice_is_a_conflict():
    booking = BookingFactory(status=BookingStatus.CANCELLED)
    with pytest.raises(BookingNotCancellableError) as excinfo:
        booking_cancel(booking=booking)
    assert isinstance(excinfo.value, ConflictError)
    assert excinfo.value.code == "booking_not_cancellable"


def test_host_cannot_book_own_listing():
    listing = ListingFactory()
    with pytest.raises(ValidationError) as excinfo:
        booking_create(listing=listing, guest=listing.host,
                       check_in=timezone.localdate() + timedelta(days=3),
                       check_out=timezone.localdate() + timedelta(days=4), guests=1)  # fmt: skip
    assert excinfo.value.message_dict == {"listing": ["You cannot book your own listing."]}


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


def test_review_create_rules():
    stay = BookingFactory(status=BookingStatus.COMPLETED)
    with pytest.raises(PermissionDenied):
        review_create(booking=stay, author=stay.listing.host, rating=5)
    with pytest.raises(ValidationError) as excinfo:
        review_create(booking=stay, author=stay.guest, rating=9)
    assert "rating" in excinfo.value.message_dict

    review = review_create(booking=stay, author=stay.guest, rating=5, comment="Great")
    assert (review.listing_id, review.author_id) == (stay.listing_id, stay.guest_id)

    with pytest.raises(ValidationError) as excinfo:
        review_create(booking=stay, author=stay.guest, rating=4)
    assert excinfo.value.message_dict == {"booking": ["This stay has already been reviewed."]}


def test_review_create_turns_the_unique_index_race_into_a_validation_error(monkeypatch):
    # Simulate the race: the existence check sees no review, the insert then hits one.
    existing = ReviewFactory()
    stay = existing.booking
    from listings import services

    real_filter = services.Review.objects.filter
    calls = {"n": 0}

    def first_call_sees_nothing(*args, **kwargs):
        calls["n"] += 1
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(services.Review.objects, "filter", first_call_sees_nothing)
    with pytest.raises(ValidationError) as excinfo:
        review_create(booking=stay, author=stay.guest, rating=4)
    assert excinfo.value.message_dict == {"booking": ["This stay has already been reviewed."]}
