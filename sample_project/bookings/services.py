"""Writes for bookings (HackSoft style: every state change goes through a service).

Including the last step of a stay, its review (``bookings.models.Review``): only a booking can
say who stayed and whether the stay is over.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from bookings.emails import booking_confirmation_message
from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, Review
from config.exceptions import ConflictError
from listings.cache import bump_generation_on_commit
from listings.models import Listing

OVERLAP_CONSTRAINT = "booking_no_overlap_active"

# Pending bookings that are settled although not confirmed yet, which the expiry must leave
# alone. Bookings can't know how a booking gets paid (payments depends on bookings, not the
# reverse), so the payments app adds its condition when it loads (PaymentsConfig.ready()).
_SETTLED_WHILE_PENDING: list[Q] = []


def booking_expiry_exempt(condition: Q) -> None:
    """Keep pending bookings matching ``condition`` from expiring (e.g. a successful payment)."""
    if condition not in _SETTLED_WHILE_PENDING:  # Django may call an app's ready() twice
        _SETTLED_WHILE_PENDING.append(condition)


class BookingOverlapError(ConflictError):
    """The listing already has an active booking for some of the requested nights."""


class BookingNotCancellableError(ConflictError):
    """Only a pending or confirmed booking can be cancelled."""


class BookingNotConfirmableError(ConflictError):
    """Only a pending booking can be confirmed (a confirmed one stays confirmed)."""


#: The first total that Booking.total_price (max_digits, decimal_places) can't store.
_TOTAL = Booking._meta.get_field("total_price")
_TOTAL_PRICE_LIMIT = Decimal(10) ** (_TOTAL.max_digits - _TOTAL.decimal_places)


def booking_create(
    *,
    listing: Listing,
    guest: User,
    check_in: date,
    check_out: date,
    guests: int,
) -> Booking:
    """Book ``listing`` for ``guest`` from ``check_in`` to ``check_out``; status pending.

    The price is fixed now: nights × the listing's current nightly rate. Raises
    ``ValidationError`` for bad input (the API's 400) and ``BookingOverlapError`` (a
    ConflictError, the API's 409) when the dates collide with another pending or
    confirmed booking.
    """
    errors: dict[str, str] = {}
    if listing.host_id == guest.pk:
        # A host "booking" their own place would block real guests' dates without paying
        # anyone; hosts close their calendar by deactivating the listing.
        errors["listing"] = "You cannot book your own listing."
    nights = (check_out - check_in).days
    if check_out <= check_in:
        errors["check_out"] = "Check-out must be after check-in."
    elif nights > settings.BOOKING_MAX_NIGHTS:
        # A pending booking holds the dates: one request must not close a calendar for years.
        errors["check_out"] = f"A stay can be at most {settings.BOOKING_MAX_NIGHTS} nights."
    elif listing.price_per_night * nights >= _TOTAL_PRICE_LIMIT:
        # Caught here, not as PostgreSQL's "numeric field overflow" (a 500).
        errors["check_out"] = "The stay costs more than one booking can hold; book fewer nights."
    if check_in < timezone.localdate():
        errors["check_in"] = "Check-in cannot be in the past."
    if guests < 1:
        errors["guests"] = "A booking needs at least one guest."
    elif guests > listing.max_guests:
        errors["guests"] = f"This listing accepts at most {listing.max_guests} guests."
    if not listing.is_active:
        errors.setdefault("listing", "This listing is not taking bookings.")
    if errors:
        raise ValidationError(errors)

    booking = Booking(
        listing=listing,
        guest=guest,
        check_in=check_in,
        check_out=check_out,
        guests=guests,
        total_price=listing.price_per_night * nights,
        status=BookingStatus.PENDING,
    )
    # No "is it free?" query first: two requests could both see the dates free and both
    # insert. The exclusion constraint decides, atomically; we translate its refusal.
    # The savepoint keeps a caller's surrounding transaction usable after the error.
    try:
        with transaction.atomic():
            # Queue concurrent bookings of the same listing behind its row lock. Without
            # it, two conflicting inserts can wait on each other inside the exclusion
            # check: PostgreSQL reports a deadlock after a second and aborts one of them
            # (found by test_concurrent_requests_for_the_same_nights_book_once).
            # NO KEY UPDATE still lets other rows reference the listing meanwhile.
            Listing.objects.select_for_update(no_key=True).only("pk").get(pk=listing.pk)
            booking.save()
    except IntegrityError as exc:
        if _violated_constraint(exc) == OVERLAP_CONSTRAINT:
            raise BookingOverlapError(
                "The listing is already booked for some of these dates.",
                code="booking_overlap",
            ) from exc
        raise
    # The confirmation email goes out from a worker, so the guest's request doesn't wait for
    # the mail server. Queued only once the booking is committed: a message sent now could
    # reach a worker before the row is visible, or outlive a rollback of the caller's
    # transaction. delay_on_commit(id) is transaction.on_commit(lambda: task.delay(id)).
    from bookings.tasks import send_booking_confirmation  # tasks.py imports this module

    send_booking_confirmation.delay_on_commit(booking.pk)
    return booking


def booking_confirmation_send(*, booking: Booking) -> bool:
    """Email ``booking``'s guest that the stay is held; True if sent now, False if not needed.

    Idempotent, so a task may run it twice (a redelivered message, a retry): the booking's
    row is locked, ``confirmation_sent_at`` decides, and it is set in the same transaction
    as the send. Two workers with the same booking queue on the lock; the second finds it
    sent. The one gap left is the mail server accepting the message and this process dying
    before COMMIT: SMTP can't be part of a database transaction.
    """
    with transaction.atomic():
        # of=("self",): lock the booking only, not the listing and guest rows joined to it.
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("listing", "guest")
            .get(pk=booking.pk)
        )
        if locked.confirmation_sent_at is not None or locked.status not in ACTIVE_STATUSES:
            return False  # sent before, or cancelled/expired meanwhile: nothing to say
        booking_confirmation_message(booking=locked).send()
        sent_at = timezone.now()
        Booking.objects.filter(pk=locked.pk).update(confirmation_sent_at=sent_at)
    booking.confirmation_sent_at = sent_at
    return True


def booking_confirm(*, booking: Booking) -> bool:
    """Mark ``booking`` confirmed (its payment succeeded); True if it changed now.

    Idempotent: confirming a confirmed booking changes nothing and returns False, so a
    replayed webhook or a second verify is harmless. Raises ``BookingNotConfirmableError``
    (409) for a booking that was cancelled or completed meanwhile — e.g. expired while the
    guest was paying: its nights may belong to someone else now, so money taken for it
    needs a refund, not a silent confirmation.
    """
    with transaction.atomic():
        # Lock the row: a confirm racing a cancel or the expiry job sees the other's result.
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status == BookingStatus.CONFIRMED:
            changed = False
        elif locked.status == BookingStatus.PENDING:
            locked.status = BookingStatus.CONFIRMED
            locked.save(update_fields=["status", "updated_at"])
            changed = True
        else:
            raise BookingNotConfirmableError(
                f"Only a pending booking can be confirmed; this one is {locked.status}.",
                code="booking_not_confirmable",
            )
    booking.status, booking.updated_at = locked.status, locked.updated_at
    return changed


def booking_expire_unpaid(*, older_than: timedelta) -> int:
    """Cancel pending bookings made more than ``older_than`` ago and not paid; how many.

    Frees their nights for other guests. One UPDATE: a payment confirmed at the same
    moment either commits first (the booking is no longer pending and is skipped) or
    waits for this one. ``update()`` sends no signal, so this function tells the listings
    cache itself: the availability search shows the freed nights on the next request.
    """
    cutoff = timezone.now() - older_than
    unpaid = Booking.objects.filter(status=BookingStatus.PENDING, created_at__lt=cutoff)
    for settled in _SETTLED_WHILE_PENDING:
        unpaid = unpaid.exclude(settled)
    with transaction.atomic():
        expired = unpaid.update(status=BookingStatus.CANCELLED, updated_at=timezone.now())
        if expired:
            bump_generation_on_commit()
    return expired


def booking_cancel(*, booking: Booking) -> Booking:
    """Cancel ``booking``, freeing its nights; only a pending or confirmed one can be.

    Raises ``BookingNotCancellableError`` (409) for a booking already cancelled or
    completed. Who may cancel is the API's permission check (bookings.permissions);
    this function enforces what holds for every caller: the state machine.
    """
    with transaction.atomic():
        # Lock the row: a cancel racing a confirm (e.g. a payment webhook) must see the
        # other's result, not overwrite it from a stale copy.
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.status not in ACTIVE_STATUSES:
            raise BookingNotCancellableError(
                f"Only a pending or confirmed booking can be cancelled; this one is "
                f"{locked.status}.",
                code="booking_not_cancellable",
            )
        locked.status = BookingStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
    booking.status, booking.updated_at = locked.status, locked.updated_at
    return booking


def review_create(*, booking: Booking, author: User, rating: int, comment: str = "") -> Review:
    """``author`` rates the stay ``booking``: their own, completed, not yet reviewed.

    Raises PermissionDenied (403) when ``author`` is not the booking's guest — a host or
    an admin can see the booking but didn't stay — and ValidationError (400) for a stay
    not completed yet, a second review, or a rating outside 1–5.
    """
    if author.pk != booking.guest_id:
        raise PermissionDenied("Only the guest who stayed can review this booking.")

    errors: dict[str, str] = {}
    if booking.status != BookingStatus.COMPLETED:
        errors["booking"] = "You can review a stay only after it is completed."
    elif Review.objects.filter(booking=booking).exists():
        errors["booking"] = "This stay has already been reviewed."
    if not 1 <= rating <= 5:
        errors["rating"] = "The rating must be between 1 and 5."
    if errors:
        raise ValidationError(errors)

    try:
        # The savepoint keeps the caller's transaction usable if the insert fails.
        with transaction.atomic():
            return Review.objects.create(
                booking=booking,
                # Copied from the booking, never from the client, so the two can't disagree.
                listing_id=booking.listing_id,
                author=author,
                rating=rating,
                comment=comment,
            )
    except IntegrityError:
        # Two requests for the same booking passed the check above at the same time; the
        # unique index on booking let one in. Report the other like the check would have.
        if Review.objects.filter(booking=booking).exists():
            raise ValidationError({"booking": "This stay has already been reviewed."}) from None
        raise


def _violated_constraint(exc: IntegrityError) -> str | None:
    """Name of the constraint PostgreSQL reported, from psycopg's diagnostics."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)
