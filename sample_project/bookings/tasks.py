"""Background work for bookings, run by a Celery worker.

Each task takes ids (never model instances: a message is JSON, and the row may have changed
by the time a worker picks it up), fetches what it needs and calls a service. The logic lives
in bookings/services.py, where a test or a shell can call it without a broker.
"""

from celery import shared_task
from django.conf import settings

from bookings.models import Booking
from bookings.services import booking_confirmation_send, booking_expire_unpaid
from config.task_policy import EMAIL_TASK_OPTIONS


@shared_task(**EMAIL_TASK_OPTIONS)
def send_booking_confirmation(booking_id: int) -> bool:
    """Email the guest that their booking is held; True if sent now, False if sent before."""
    booking = Booking.objects.get(pk=booking_id)
    return booking_confirmation_send(booking=booking)


# Idempotent (a second run finds nothing left to expire), so late acks are safe here too.
@shared_task(acks_late=True)
def expire_unpaid_bookings() -> int:
    """Cancel the pending bookings left unpaid past the payment window; returns how many."""
    return booking_expire_unpaid(older_than=settings.BOOKING_PAYMENT_WINDOW)
