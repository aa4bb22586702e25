"""Background work for bookings, run by a Celery worker.

Each task takes ids (never model instances: a message is JSON, and the row may have changed
by the time a worker picks it up), fetches what it needs and calls a service. The logic lives
in bookings/services.py, where a test or a shell can call it without a broker.
"""

import smtplib

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from bookings.models import Booking
from bookings.services import booking_confirmation_send, booking_expire_unpaid

# Worth another try later: the mail server is down, dropped us, or is too slow. smtplib's
# errors include permanent ones (a refused address), but they are rare and the retries end.
TRANSIENT_EMAIL_ERRORS = (
    ConnectionError,
    TimeoutError,
    smtplib.SMTPException,
    SoftTimeLimitExceeded,
)


#: How every task that sends one email is delivered (bookings, payments, wishlists use it).
EMAIL_TASK_OPTIONS = {
    # Acknowledge after running: if the worker dies mid-send, the broker hands the message
    # to another worker. Safe only because each email service is idempotent (it records the
    # send: confirmation_sent_at, receipt_sent_at, notified_price).
    "acks_late": True,
    # A mail server that is down is a reason to wait, not to give up: retry after 1, 2, 4,
    # 8 … seconds (capped at 10 minutes), at most 8 times (about 4 minutes in all).
    "autoretry_for": TRANSIENT_EMAIL_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": settings.BOOKING_EMAIL_RETRY_JITTER,
    "max_retries": 8,
    # An SMTP conversation takes milliseconds. At 30 s the task is interrupted (and
    # retried); at 45 s the worker kills the process running it.
    "soft_time_limit": 30,
    "time_limit": 45,
}


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
