"""The demo data set: deterministic, realistic, fast, and safe to re-run."""

import hashlib
import json
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Role, User
from bookings.models import Booking, BookingStatus, Review
from demo.seed import DEMO_PASSWORD, SeedRefusedError, seed_demo_data
from listings.models import Listing
from messaging.models import Message, MessageHistory, Notification
from payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def digest() -> str:
    """A hash of every seeded row, keyed by natural keys rather than ids.

    Ids are left out (sequences are not rolled back between tests) and so are password
    hashes (salted at random by design); everything else must match.
    """
    tables = [
        User.objects.order_by("username").values_list(
            "username", "email", "first_name", "last_name", "role", "is_staff", "date_joined"
        ),
        Listing.objects.order_by("created_at").values_list(
            "host__username", "title", "description", "city", "address", "price_per_night",
            "max_guests", "bedrooms", "is_active", "created_at", "updated_at",
        ),
        Booking.objects.order_by("listing__created_at", "check_in").values_list(
            "listing__created_at", "guest__username", "check_in", "check_out", "guests",
            "total_price", "status", "created_at", "updated_at",
        ),
        Review.objects.order_by("booking__listing__created_at", "booking__check_in").values_list(
            "booking__listing__created_at", "booking__check_in", "author__username",
            "rating", "comment", "created_at",
        ),
        Payment.objects.order_by("tx_ref").values_list(
            "tx_ref", "booking__listing__created_at", "booking__check_in", "amount",
            "currency", "status", "chapa_reference", "verify_payload", "created_at",
        ),
    ]  # fmt: skip
    rows = [list(table) for table in tables]
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def test_counts_match_the_summary_and_the_ratios():
    summary = seed_demo_data(listings=40, seed=7)

    assert summary.listings == Listing.objects.count() == 40
    assert summary.hosts == User.objects.filter(role=Role.HOST).count() == 5  # 1 per 8
    assert summary.guests == User.objects.filter(role=Role.GUEST).count() == 20  # 1 per 2
    assert User.objects.filter(role=Role.ADMIN, username="admin", is_superuser=True).exists()
    assert summary.users == User.objects.count() == 26
    assert summary.bookings == Booking.objects.count() > 40
    assert summary.reviews == Review.objects.count() > 0
    assert summary.payments == Payment.objects.count() > 0
    assert str(summary).startswith("Seeded 26 users (5 hosts, 20 guests, 1 admin), 40 listings")


def test_same_seed_gives_identical_rows():
    seed_demo_data(listings=30, seed=7)
    first = digest()
    seed_demo_data(listings=30, seed=7, replace=True)
    assert digest() == first


def test_different_seed_gives_different_rows():
    seed_demo_data(listings=30, seed=7)
    first = digest()
    seed_demo_data(listings=30, seed=8, replace=True)
    assert digest() != first


def test_no_two_bookings_of_a_listing_overlap_whatever_their_status():
    seed_demo_data(listings=60, seed=3)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
              ON a.listing_id = b.listing_id AND a.id < b.id
             AND daterange(a.check_in, a.check_out) && daterange(b.check_in, b.check_out)
            """
        )
        assert cursor.fetchone()[0] == 0


def test_statuses_follow_the_fixed_calendar():
    seed_demo_data(listings=60, seed=3)
    years = {
        status: set(Booking.objects.filter(status=status).values_list("check_in__year", flat=True))
        for status in BookingStatus.values
    }
    assert years[BookingStatus.COMPLETED] == {2025}
    assert years[BookingStatus.CONFIRMED] == {2027}
    assert years[BookingStatus.PENDING] == {2027}
    assert years[BookingStatus.CANCELLED] <= {2025, 2027}


def test_reviews_and_payments_belong_to_the_right_bookings():
    seed_demo_data(listings=60, seed=3)

    reviews = Review.objects.select_related("booking")
    assert all(r.booking.status == BookingStatus.COMPLETED for r in reviews)
    assert all(r.listing_id == r.booking.listing_id for r in reviews)
    assert all(r.author_id == r.booking.guest_id for r in reviews)
    ratings = set(reviews.values_list("rating", flat=True))
    assert {4, 5} <= ratings and ratings <= {1, 2, 3, 4, 5}

    payments = Payment.objects.select_related("booking")
    assert all(p.booking.status == BookingStatus.CONFIRMED for p in payments)
    assert all(p.amount == p.booking.total_price for p in payments)
    assert payments.filter(status=PaymentStatus.SUCCESS).exists()


def test_prices_are_nights_times_rate():
    seed_demo_data(listings=20, seed=1)
    for booking in Booking.objects.select_related("listing"):
        assert booking.total_price == booking.listing.price_per_night * booking.nights


def test_demo_password_logs_in():
    seed_demo_data(listings=8, seed=1)
    assert authenticate(username="host001", password=DEMO_PASSWORD) is not None
    assert authenticate(username="guest0001", password=DEMO_PASSWORD) is not None
    assert authenticate(username="host001", password="wrong") is None


def test_refuses_to_seed_over_existing_data():
    seed_demo_data(listings=5, seed=1)
    with pytest.raises(SeedRefusedError, match="--replace"):
        seed_demo_data(listings=5, seed=1)
    assert Listing.objects.count() == 5


def test_replace_with_fewer_listings_removes_old_seeded_users():
    seed_demo_data(listings=80, seed=1)
    seed_demo_data(listings=8, seed=1, replace=True)
    assert User.objects.filter(role=Role.HOST).count() == 1
    assert Listing.objects.count() == 8


def test_replace_keeps_users_created_by_hand():
    User.objects.create_user(username="me", email="me@example.com", password="x")
    seed_demo_data(listings=8, seed=1)
    seed_demo_data(listings=8, seed=1, replace=True)
    assert User.objects.filter(username="me").exists()


def test_a_thousand_listings_are_written_in_batches_not_row_by_row():
    """What keeps the seed fast (``make bench`` times it): bulk inserts, so the number of
    queries does not grow with the number of rows. A timed assertion here would flake on a busy
    machine; the query count does not."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        summary = seed_demo_data(listings=1000, seed=42)
    assert summary.listings == 1000
    # Row by row would be thousands of INSERTs (listings, users, bookings, reviews, payments).
    assert len(queries) < 100, f"{len(queries)} queries for 1,000 listings"


# --- the management command ------------------------------------------------------------


def test_command_prints_a_one_line_summary():
    out = StringIO()
    call_command("seed", "--listings", "16", "--seed", "5", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Seeded 11 users (2 hosts, 8 guests, 1 admin), 16 listings")


def test_command_defaults_to_200_listings():
    call_command("seed", stdout=StringIO())
    assert Listing.objects.count() == 200


def test_command_refuses_without_replace_then_replaces():
    call_command("seed", "--listings", "8", stdout=StringIO())
    with pytest.raises(CommandError, match="pass --replace"):
        call_command("seed", "--listings", "8", stdout=StringIO())
    call_command("seed", "--listings", "16", "--replace", stdout=StringIO())
    assert Listing.objects.count() == 16


def test_command_rejects_a_negative_count():
    with pytest.raises(CommandError, match="zero or more"):
        call_command("seed", "--listings", "-1")


def test_refuses_when_a_seeded_username_is_taken_by_hand():
    User.objects.create_user(username="admin", email="boss@example.com", password="x")
    with pytest.raises(SeedRefusedError, match="admin"):
        seed_demo_data(listings=8, seed=1)
    assert not Listing.objects.exists()


# --- message threads (--threads) -------------------------------------------------------------


def message_rows() -> list[tuple]:
    """Every seeded message by natural keys (ids left out, as in digest()); its parent and
    thread by their timestamps."""
    fields = ("timestamp", "sender__username", "receiver__username", "listing__created_at",
              "booking__check_in", "parent_message__timestamp", "thread_root__timestamp",
              "content", "read", "edited")
    return list(Message.objects.order_by(*fields).values_list(*fields))


def test_threads_are_off_by_default_and_change_no_other_row():
    summary = seed_demo_data(listings=30, seed=7)
    without = digest()
    assert (summary.threads, summary.messages) == (0, 0) and not Message.objects.exists()
    assert str(summary).endswith(" payments.")  # the course's summary line, as it was

    summary = seed_demo_data(listings=30, seed=7, replace=True, threads=6)
    assert digest() == without  # their own random generator: every other row is the same
    assert summary.threads == Message.objects.threads().count() == 6
    assert summary.messages == Message.objects.count() > 6
    assert str(summary).endswith(f" payments, 6 message threads ({summary.messages} messages).")


def test_seeded_threads_are_deterministic_nested_conversations_about_stays():
    seed_demo_data(listings=30, seed=7, threads=5)
    first = message_rows()
    seed_demo_data(listings=30, seed=7, replace=True, threads=5)
    assert message_rows() == first

    for root in Message.objects.threads().select_related("booking__listing"):
        assert root.booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
        assert (root.sender_id, root.receiver_id, root.listing_id) == (
            root.booking.guest_id, root.booking.listing.host_id, root.booking.listing_id)
        thread = list(Message.objects.in_thread(root).order_by("timestamp"))
        # Each message answers the one before, from the other participant; only the last unread.
        for parent, reply in pairwise(thread):
            assert reply.parent_message_id == parent.pk and reply.sender_id == parent.receiver_id
        assert [m.read for m in thread] == [True] * (len(thread) - 1) + [False]
    # bulk_create() sends no post_save: seeded messages notified nobody.
    assert not Notification.objects.exists() and not MessageHistory.objects.exists()


def test_command_writes_threads_when_asked():
    out = StringIO()
    call_command("seed", "--listings", "16", "--seed", "5", "--threads", "3", stdout=out)
    assert "3 message threads (" in out.getvalue()
    with pytest.raises(CommandError, match="--threads must be zero or more"):
        call_command("seed", "--threads", "-1", "--replace")
