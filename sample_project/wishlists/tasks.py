"""Background work for wishlists, run by a Celery worker: fetch by id, call a service."""

from celery import shared_task
from django.conf import settings

from bookings.tasks import TRANSIENT_EMAIL_ERRORS
from wishlists.models import WishlistItem
from wishlists.services import wishlist_price_drop_send


@shared_task(
    # The same delivery policy as the booking confirmation (bookings/tasks.py): late acks,
    # safe because the service is idempotent (notified_price); retries after 1, 2, 4 … s
    # while the mail server is down, with the same jitter switch; tight time limits.
    acks_late=True,
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=settings.BOOKING_EMAIL_RETRY_JITTER,
    max_retries=8,
    soft_time_limit=30,
    time_limit=45,
)
def send_price_drop_notice(item_id: int) -> bool:
    """Email the guest of wishlist item ``item_id`` about a price drop; True if sent now."""
    item = WishlistItem.objects.filter(pk=item_id).first()
    # Unlike a missing booking (a bug: bookings are never deleted), a missing item is a guest
    # who removed the listing after the drop was queued — nothing to say, nothing to fail.
    if item is None:
        return False
    return wishlist_price_drop_send(item=item)
