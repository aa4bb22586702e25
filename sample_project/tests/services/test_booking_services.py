"""bookings.services, called directly: booking_create (price, validation, the overlap error, the
confirmation queued on commit), booking_cancel, booking_expire_unpaid, and review_create, the
last step of a stay."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from bookings.services import (
    BookingNotCancellableError,
    BookingOverlapError,
    booking_cancel,
    booking_create,
    booking_expire_unpaid,
    review_create,
)
from config.exceptions import ConflictError
from testsupport.factories import BookingFactory, ListingFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    return ListingFactory(price_per_night=Decimal("1250.50"), max_guests=3)


@pytest.fixture
def guest():
    return UserFactory()


@pytest.fixture
def arrival():
    # Relative to today: the service refuses check-ins in the past.
    return timezone.localdate() + timedelta(days=60)


def book(listing, guest, arrival, *, nights=3, start=0, guests=2):
    check_in = arrival + timedelta(days=start)
    return booking_create(
        listing=listing,
        guest=guest,
        check_in=check_in,
        check_out=check_in + timedelta(days=nights),
        guests=guests,
    )


# --- booking_create ------------------------------------------------------------------------------
def test_creates_a_pending_booking_priced_nights_times_rate(listing, guest, arrival):
    booking = book(listing, guest, arrival, nights=3)

    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert booking.total_price == Decimal("3751.50")
    assert (booking.listing, booking.guest, booking.guests) == (listing, guest, 2)


@pytest.mark.parametrize("nights", [0, -1])
def test_check_out_must_follow_check_in(listing, guest, arrival, nights):
    with pytest.raises(ValidationError) as excinfo:
        book(listing, guest, arrival, nights=nights)
    assert "check_out" in excinfo.value.message_dict
    assert not Booking.objects.exists()


def test_check_in_cannot_be_in_the_past(listing, guest):
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        book(listing, guest, yesterday)
    assert "check_in" in excinfo.value.message_dict


@pytest.mark.parametrize("guests", [0, 4])
def test_guests_between_one_and_listing_capacity(listing, guest, arrival, guests):
    with pytest.raises(ValidationError) as excinfo:
        book(listing, guest, arrival, guests=guests)
    assert "guests" in excinfo.value.message_dict
    assert not Booking.objects.exists()


def test_capacity_itself_is_allowed(listing, guest, arrival):
    assert book(listing, guest, arrival, guests=3).guests == 3


def test_inactive_listing_cannot_be_booked(guest, arrival):
    listing = ListingFactory(is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        book(listing, guest, arrival)
    assert "listing" in excinfo.value.message_dict


def test_host_cannot_book_own_listing():
    listing = ListingFactory()
    with pytest.raises(ValidationError) as excinfo:
        booking_create(listing=listing, guest=listing.host,
                       check_in=timezone.localdate() + timedelta(days=3),
                       check_out=timezone.localdate() + timedelta(days=4), guests=1)  # fmt: skip
    assert excinfo.value.message_dict == {"listing": ["You cannot book your own listing."]}


def test_overlap_raises_a_domain_error_not_an_integrity_error(listing, guest, arrival):
    book(listing, guest, arrival, nights=3)

    with pytest.raises(BookingOverlapError) as excinfo:
        book(listing, UserFactory(), arrival, start=2, nights=2)

    assert isinstance(excinfo.value, ValidationError)  # so callers can treat it as a 4xx
    assert excinfo.value.code == "booking_overlap"  # the API sends it as "code"
    # The savepoint kept the transaction usable: we can still query.
    assert Booking.objects.filter(listing=listing).count() == 1


def test_overlap_with_a_confirmed_booking_made_elsewhere(listing, guest, arrival):
    BookingFactory(
        listing=listing,
        check_in=arrival,
        check_out=arrival + timedelta(days=5),
        status=BookingStatus.CONFIRMED,
    )
    with pytest.raises(BookingOverlapError):
        book(listing, guest, arrival, start=4, nights=1)


def test_back_to_back_booking_succeeds(listing, guest, arrival):
    first = book(listing, guest, arrival, nights=3)
    second = book(listing, UserFactory(), arrival, start=3, nights=2)
    assert second.check_in == first.check_out


def test_cancelled_booking_frees_its_dates(listing, guest, arrival):
    first = book(listing, guest, arrival)
    Booking.objects.filter(pk=first.pk).update(status=BookingStatus.CANCELLED)
    assert book(listing, UserFactory(), arrival).pk != first.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_the_same_nights_book_once(arrival):
    """Two requests race for the same dates; PostgreSQL lets exactly one win."""
    listing = ListingFactory(max_guests=2)
    guests = [UserFactory(), UserFactory()]
    start = threading.Barrier(len(guests))
    outcomes: list[str] = []

    def attempt(guest):
        try:
            start.wait()  # release both inserts at the same moment
            book(listing, guest, arrival, nights=4, guests=1)
            outcomes.append("booked")
        except BookingOverlapError:
            outcomes.append("overlap")
        except Exception as exc:  # anything else is a bug worth seeing in the assertion
            outcomes.append(repr(exc))
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=attempt, args=(guest,)) for guest in guests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["booked", "overlap"]
    assert Booking.objects.filter(listing=listing).count() == 1


# --- booking_create queues the confirmation email ------------------------------------------------
# transaction=True: the email is queued on commit, and only a real commit runs the callbacks.
@pytest.mark.django_db(transaction=True)
def test_booking_create_queues_the_confirmation_with_the_id_after_commit(published):
    check_in = timezone.localdate() + timedelta(days=30)
    with transaction.atomic():
        booking = booking_create(listing=ListingFactory(), guest=UserFactory(),
                                 check_in=check_in, check_out=check_in + timedelta(days=2),
                                 guests=1)
        assert published == [], "queued before the booking was committed"
    assert published == [("bookings.tasks.send_booking_confirmation", [booking.pk])]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_booking_queues_nothing(published):
    check_in = timezone.localdate() + timedelta(days=30)
    with transaction.atomic():
        booking_create(listing=ListingFactory(), guest=UserFactory(), check_in=check_in,
                       check_out=check_in + timedelta(days=2), guests=1)
        transaction.set_rollback(True)
    assert published == []
    assert not Booking.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_booking_queues_nothing(published, listing, guest, arrival):
    first = book(listing, guest, arrival)
    published.clear()
    with pytest.raises(BookingOverlapError, match="already booked"):
        book(listing, UserFactory(), arrival, nights=1)
    assert published == []
    assert list(Booking.objects.all()) == [first]


# --- booking_cancel ------------------------------------------------------------------------------
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


# --- booking_expire_unpaid -----------------------------------------------------------------------
def test_expire_unpaid_frees_the_nights():
    old = BookingFactory(status=BookingStatus.PENDING,
                         created_at=timezone.now() - timedelta(minutes=31))
    assert booking_expire_unpaid(older_than=timedelta(minutes=30)) == 1
    again = booking_create(listing=old.listing, guest=UserFactory(), check_in=old.check_in,
                           check_out=old.check_out, guests=1)
    assert again.status == BookingStatus.PENDING


# --- review_create -------------------------------------------------------------------------------
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
    from bookings import services

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
