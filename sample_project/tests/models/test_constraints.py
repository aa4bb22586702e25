"""Every rule the database enforces, proved by breaking it.

Rows are written with bulk_create/update or plain save(), which skip Python validation,
so the only thing that can stop a bad row here is PostgreSQL itself.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from bookings.models import Booking, BookingStatus
from testsupport.assertions import violates
from testsupport.factories import (
    BookingFactory,
    ListingFactory,
    PaymentFactory,
    ReviewFactory,
    UserFactory,
    WishlistItemFactory,
)
from wishlists.models import WishlistItem

pytestmark = pytest.mark.django_db

MAY_1 = date(2030, 5, 1)


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --- accounts ------------------------------------------------------------------------


def test_email_is_unique():
    UserFactory(username="abebe", email="abebe@example.com")
    with violates("accounts_user_email_key"):
        UserFactory(username="abebe2", email="abebe@example.com")


def test_role_must_be_a_known_role():
    user = UserFactory()
    with violates("user_role_valid"):
        type(user).objects.filter(pk=user.pk).update(role="superhost")


# --- listings ------------------------------------------------------------------------


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-100.00")])
def test_listing_price_must_be_positive(price):
    with violates("listing_price_positive"):
        ListingFactory(price_per_night=price)


def test_listing_must_accept_at_least_one_guest():
    with violates("listing_max_guests_at_least_one"):
        ListingFactory(max_guests=0)


def test_listing_city_must_be_known():
    with violates("listing_city_valid"):
        ListingFactory(city="nairobi")


def test_valid_listing_is_stored():
    listing = ListingFactory(price_per_night=Decimal("0.01"), max_guests=1)
    assert listing.pk is not None


# --- reviews -------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_outside_1_to_5_is_refused(rating):
    with violates("review_rating_1_to_5"):
        ReviewFactory(rating=rating)


@pytest.mark.parametrize("rating", [1, 5])
def test_rating_bounds_are_allowed(rating):
    assert ReviewFactory(rating=rating).rating == rating


def test_one_review_per_booking():
    review = ReviewFactory()
    # The unique index keeps the name it was created with: the table began as listings_review
    # and moving Review to bookings renamed the table only (bookings/migrations/0004_review.py).
    with violates("listings_review_booking_id_key"):
        ReviewFactory(booking=review.booking)


# --- bookings: row checks ------------------------------------------------------------


@pytest.mark.parametrize("nights", [0, -2])
def test_check_out_must_be_after_check_in(nights):
    listing = ListingFactory()
    with violates("booking_check_out_after_check_in"):
        BookingFactory(
            listing=listing,
            check_in=MAY_1,
            check_out=MAY_1 + days(nights),
            total_price=Decimal("100.00"),
        )


def test_booking_needs_a_guest():
    with violates("booking_guests_at_least_one"):
        BookingFactory(guests=0)


def test_booking_total_must_be_positive():
    with violates("booking_total_price_positive"):
        BookingFactory(total_price=Decimal("0"))


def test_booking_status_must_be_known():
    booking = BookingFactory()
    with violates("booking_status_valid"):
        Booking.objects.filter(pk=booking.pk).update(status="maybe")


# --- bookings: no double booking -------------------------------------------------------


@pytest.mark.parametrize("existing", [BookingStatus.PENDING, BookingStatus.CONFIRMED])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 3),  # same dates
        (1, 2),  # inside
        (-2, 1),  # overlaps the first night
        (2, 6),  # overlaps the last night
        (-1, 5),  # covers it
    ],
)
def test_overlapping_active_bookings_are_refused(existing, start, end):
    booking = BookingFactory(check_in=MAY_1, check_out=MAY_1 + days(3), status=existing)
    with violates("booking_no_overlap_active"):
        BookingFactory(
            listing=booking.listing,
            check_in=MAY_1 + days(start),
            check_out=MAY_1 + days(end),
            status=BookingStatus.PENDING,
        )


def test_back_to_back_stays_are_allowed():
    first = BookingFactory(check_in=MAY_1, check_out=MAY_1 + days(3))
    # The next guest arrives the day the first one leaves; and one left the day it arrived.
    BookingFactory(listing=first.listing, check_in=MAY_1 + days(3), check_out=MAY_1 + days(5))
    BookingFactory(listing=first.listing, check_in=MAY_1 - days(2), check_out=MAY_1)
    assert first.listing.bookings.count() == 3


@pytest.mark.parametrize("inactive", [BookingStatus.CANCELLED, BookingStatus.COMPLETED])
def test_overlap_with_an_inactive_booking_is_allowed(inactive):
    old = BookingFactory(check_in=MAY_1, check_out=MAY_1 + days(3), status=inactive)
    BookingFactory(listing=old.listing, check_in=MAY_1, check_out=MAY_1 + days(3))
    assert old.listing.bookings.count() == 2


def test_same_dates_at_another_listing_are_allowed():
    BookingFactory(check_in=MAY_1, check_out=MAY_1 + days(3))
    BookingFactory(check_in=MAY_1, check_out=MAY_1 + days(3))
    assert Booking.objects.count() == 2


def test_reactivating_a_cancelled_booking_into_a_taken_slot_is_refused():
    # The rule holds on UPDATE too, not only on INSERT.
    cancelled = BookingFactory(check_in=MAY_1, status=BookingStatus.CANCELLED)
    BookingFactory(listing=cancelled.listing, check_in=MAY_1)
    with violates("booking_no_overlap_active"):
        Booking.objects.filter(pk=cancelled.pk).update(status=BookingStatus.CONFIRMED)


def test_overlap_rule_is_the_textbook_exclusion_on_btree_gist():
    # `listing_id WITH =` in a GiST index is btree_gist's; migration 0003 installs it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        extensions = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conname = 'booking_no_overlap_active'")
        (definition,) = cursor.fetchone()
    assert "btree_gist" in extensions
    assert definition.startswith(
        "EXCLUDE USING gist (listing_id WITH =, daterange(check_in, check_out) WITH &&) WHERE")


# --- payments ------------------------------------------------------------------------


def test_payment_amount_must_be_positive():
    with violates("payment_amount_positive"):
        PaymentFactory(amount=Decimal("0"))


def test_tx_ref_is_unique_per_attempt():
    payment = PaymentFactory()
    with violates("payments_payment_tx_ref_key"):
        PaymentFactory(booking=payment.booking, tx_ref=payment.tx_ref)


def test_payment_currency_must_be_supported():
    with violates("payment_currency_valid"):
        PaymentFactory(currency="EUR")


# --- wishlists -----------------------------------------------------------------------


def test_a_listing_is_saved_to_a_wishlist_once_per_user():
    item = WishlistItemFactory()
    with violates("wishlist_item_unique_per_user"):
        WishlistItem.objects.create(user=item.user, listing=item.listing, saved_price=1)


def test_two_users_may_save_the_same_listing():
    item = WishlistItemFactory()
    WishlistItemFactory(listing=item.listing)
    assert item.listing.wishlist_items.count() == 2


@pytest.mark.parametrize(("field", "constraint"), [
    ("saved_price", "wishlist_item_saved_price_positive"),
    ("notified_price", "wishlist_item_notified_price_positive"),
])
def test_wishlist_prices_are_positive(field, constraint):
    item = WishlistItemFactory()
    with violates(constraint):
        WishlistItem.objects.filter(pk=item.pk).update(**{field: Decimal("0")})
