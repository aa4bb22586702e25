"""Background work for wishlists, run by a Celery worker: fetch by id, call a service."""

from celery import shared_task

from config.task_policy import EMAIL_TASK_OPTIONS
from wishlists.models import WishlistItem
from wishlists.services import wishlist_price_drop_send


# Late acks are safe: the service records the send, so a redelivered message sends nothing.
@shared_task(**EMAIL_TASK_OPTIONS)
def send_price_drop_notice(item_id: int) -> bool:
    """Email the guest of wishlist item ``item_id`` about a price drop; True if sent now."""
    item = WishlistItem.objects.filter(pk=item_id).first()
    # Unlike a missing booking (a bug: bookings are never deleted), a missing item is a guest
    # who removed the listing after the drop was queued — nothing to say, nothing to fail.
    if item is None:
        return False
    return wishlist_price_drop_send(item=item)
