"""Cache invalidation for bookings and reviews: either written makes the listings cache stale.

Search results depend on free dates (``listing_list_available``), so a booking created,
confirmed, cancelled or deleted changes what a cached listings page must show; a review
changes a listing's rating and its reviews page. The listings app can't listen for them
itself: bookings depend on listings, never the reverse. So bookings tells the listings cache,
with the same receiver ``listings/signals.py`` has for listings: every ``save()`` and
``delete()`` sends it, whoever made the change, and the generation goes up once the
transaction commits. ``update()`` and bulk writes send no signal: the code that uses them
bumps it itself (``booking_expire_unpaid``, the seed command).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bookings.models import Booking, Review
from listings.cache import bump_generation_on_commit


@receiver([post_save, post_delete], sender=Booking, dispatch_uid="bookings-cache-booking")
@receiver([post_save, post_delete], sender=Review, dispatch_uid="bookings-cache-review")
def bookings_changed(sender, **kwargs) -> None:
    # A bulk delete sends one signal per row; the commit still bumps once.
    bump_generation_on_commit()
