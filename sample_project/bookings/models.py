"""Bookings: a guest's stay at a listing, the rules that keep the calendar consistent, and the
guest's review of the stay."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


# Bookings that hold the listing's nights. A cancelled booking frees them; a completed one
# is in the past, so it can no longer collide with a new booking.
ACTIVE_STATUSES = [BookingStatus.PENDING, BookingStatus.CONFIRMED]


class Booking(models.Model):
    """A stay from ``check_in`` (first night) to ``check_out`` (departure day, not a night)."""

    # PROTECT: bookings are the business's records (money was involved); a listing or a
    # user with bookings is deactivated, not deleted.
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.PROTECT, related_name="bookings"
    )
    guest = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    check_in = models.DateField()
    check_out = models.DateField()
    guests = models.PositiveSmallIntegerField()
    # Stored, not computed on the fly: the price the guest agreed to must not change when
    # the host edits the nightly rate later.
    total_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="ETB")
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The idempotency record of the confirmation email: set in the same transaction that
    # decides to send it, so a task delivered twice (late acks, a retry) sends it once.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(check_out__gt=F("check_in")),
                name="booking_check_out_after_check_in",
                violation_error_message="Check-out must be after check-in.",
            ),
            models.CheckConstraint(
                condition=Q(guests__gte=1),
                name="booking_guests_at_least_one",
                violation_error_message="A booking needs at least one guest.",
            ),
            models.CheckConstraint(
                condition=Q(total_price__gt=Decimal("0")),
                name="booking_total_price_positive",
                violation_error_message="The total price must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values),
                name="booking_status_valid",
                violation_error_message="Unknown booking status.",
            ),
            # No double booking, enforced by PostgreSQL even under concurrent requests
            # (a "check, then insert" in Python has a race between the two steps):
            #
            #   EXCLUDE USING gist (listing_id WITH =, daterange(check_in, check_out) WITH &&)
            #   WHERE (status IN ('pending', 'confirmed'))
            #
            # "No two active bookings of the same listing with overlapping nights." GiST has
            # no `=` for a plain integer column in core PostgreSQL: the btree_gist extension
            # (PostgreSQL's contrib) adds it, installed by migration 0003 before this
            # constraint (BtreeGistExtension, Django's docs on ExclusionConstraint).
            # daterange() is half-open '[)': check_out is not a night, so a stay may start the
            # day the previous one ends. The GiST index behind the constraint also serves
            # "which bookings overlap these dates at this listing?" availability queries.
            ExclusionConstraint(
                name="booking_no_overlap_active",
                index_type="gist",
                expressions=[
                    ("listing", RangeOperators.EQUAL),
                    (
                        Func(
                            F("check_in"),
                            F("check_out"),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
                violation_error_message="The listing is already booked for some of these dates.",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk}: listing {self.listing_id}, {self.check_in} → {self.check_out}"

    @property
    def nights(self) -> int:
        """Number of nights of the stay (check-out day is not a night)."""
        return (self.check_out - self.check_in).days


class Review(models.Model):
    """A guest's rating of one completed stay; one review per booking.

    A review rates a stay, so it belongs with bookings. It started out in listings and was
    moved here without touching its rows: listings' migration 0005 renames the table and
    bookings' 0004 takes the model over (``SeparateDatabaseAndState``, lesson 02).
    """

    # One review per booking, enforced by the unique index a OneToOneField creates.
    # CASCADE: a review has no meaning without the stay it describes.
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="review")
    # Stored next to booking (which already knows its listing) so a listing's rating is
    # an aggregate over one table, without joining through bookings. The service that
    # creates reviews copies it from the booking so the two never disagree.
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.CASCADE, related_name="reviews"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(help_text="1 (bad) to 5 (excellent)")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5),
                name="review_rating_1_to_5",
                violation_error_message="The rating must be between 1 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.listing_id} by {self.author_id}"
