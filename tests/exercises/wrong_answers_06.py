"""Plausible wrong answers to the exercises of lesson 06, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

# --- 06.1 confirm_booking -------------------------------------------------------------------------


def confirm_with_the_instance(booking_id):
    from bookings.services import booking_confirmation_send

    # Treats the id as if it were the booking the producer had in hand.
    return booking_confirmation_send(booking=booking_id)


def confirm_sending_directly(booking_id):
    from bookings.emails import booking_confirmation_message
    from bookings.models import Booking

    booking = Booking.objects.get(pk=booking_id)
    booking_confirmation_message(booking=booking).send()
    return True


def confirm_skipping_missing(booking_id):
    from bookings.models import Booking
    from bookings.services import booking_confirmation_send

    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return False
    return booking_confirmation_send(booking=booking)


# --- 06.2 confirm_after_commit --------------------------------------------------------------------


def queue_right_away(booking):
    from bookings.tasks import send_booking_confirmation

    send_booking_confirmation.delay(booking.pk)


def queue_with_a_countdown(booking):
    from bookings.tasks import send_booking_confirmation

    # "Give the transaction a few seconds to commit first."
    send_booking_confirmation.apply_async((booking.pk,), countdown=5)


def queue_the_wrong_task(booking):
    from django.db import transaction

    from bookings.tasks import expire_unpaid_bookings

    transaction.on_commit(lambda: expire_unpaid_bookings.delay())


WRONG_ANSWERS = {
    "06.1": [(confirm_with_the_instance, "fetch the booking"),
             (confirm_sending_directly, "call the service"),
             (confirm_skipping_missing, "fail loudly")],
    "06.2": [(queue_right_away, "before the transaction decided"),
             (queue_with_a_countdown, "a countdown only guesses"),
             (queue_the_wrong_task, "queue send_booking_confirmation once")],
}
