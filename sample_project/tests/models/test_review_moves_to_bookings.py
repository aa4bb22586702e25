"""Moving Review from listings to bookings keeps every review, both ways.

listings 0005 renames the table and bookings 0004 takes the model over, with
``SeparateDatabaseAndState``: no row is copied or dropped. This test writes reviews with the
models as they were before the move (the historical models a migration would get), runs the
two migrations forward and back with Django's ``MigrationExecutor`` — what ``manage.py
migrate`` runs — and reads the same rows through the models of each side.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Schema changes: the test runs outside the per-test transaction, and leaves the database
# migrated to the latest state (see `migrated_to`).
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("listings", "0004_fill_listing_slugs"), ("bookings", "0003_exclusion_with_btree_gist")]
AFTER = [("listings", "0005_move_review_to_bookings"), ("bookings", "0004_review")]


def migrate(targets):
    """Migrate the test database to ``targets``; returns the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # what is applied changed
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrated_to():
    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def review_rows(Review) -> list[tuple]:
    return list(Review.objects.order_by("id").values_list(
        "id", "booking_id", "listing_id", "author_id", "rating", "comment", "created_at"))


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        return name in connection.introspection.table_names(cursor)


def test_reviews_survive_the_move_and_its_reversal(migrated_to):
    old = migrated_to(BEFORE)
    assert table_exists("listings_review") and not table_exists("bookings_review")
    User = old.get_model("accounts", "User")
    host = User.objects.create(username="m-host", email="m-host@example.com", role="host")
    listing = old.get_model("listings", "Listing").objects.create(
        host=host, title="Room", city="gondar", address="Piazza", price_per_night=Decimal("900"),
        max_guests=2)
    Booking, Review = old.get_model("bookings", "Booking"), old.get_model("listings", "Review")
    for n, rating in enumerate([5, 3, 1]):
        guest = User.objects.create(username=f"m-guest{n}", email=f"m-guest{n}@example.com")
        stay = Booking.objects.create(
            listing=listing, guest=guest, check_in=date(2026, 1, 1) + timedelta(days=3 * n),
            check_out=date(2026, 1, 3) + timedelta(days=3 * n), guests=1,
            total_price=Decimal("1800"), status="completed")
        Review.objects.create(booking=stay, listing=listing, author=guest, rating=rating,
                              comment=f"stay {n}")
    ContentType = old.get_model("contenttypes", "ContentType")
    # The content type, which the model's permissions and the admin's history point to.
    content_type, _ = ContentType.objects.get_or_create(app_label="listings", model="review")
    ContentType.objects.filter(app_label="bookings", model="review").delete()
    before = review_rows(Review)

    new = migrated_to(AFTER)

    assert not table_exists("listings_review") and table_exists("bookings_review")
    with pytest.raises(LookupError):
        new.get_model("listings", "Review")
    moved = new.get_model("bookings", "Review")
    assert review_rows(moved) == before
    # The id sequence came along: a new review gets the next id, not a duplicate.
    first = moved.objects.get(pk=before[0][0])
    first_booking_id = first.booking_id
    first.delete()
    again = moved.objects.create(booking_id=first_booking_id, listing_id=listing.pk,
                                 author_id=before[0][3], rating=4)
    assert again.pk > before[-1][0]
    moved_type = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (moved_type.app_label, moved_type.model) == ("bookings", "review")
    after = review_rows(moved)

    back = migrated_to(BEFORE)

    assert table_exists("listings_review") and not table_exists("bookings_review")
    assert review_rows(back.get_model("listings", "Review")) == after
    restored = back.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (restored.app_label, restored.model) == ("listings", "review")
