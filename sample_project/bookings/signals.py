"""Cache invalidation for bookings: a booking written makes the listings cache stale on commit.

Search results depend on free dates (``listing_list_available``), so a booking created,
confirmed, cancelled or deleted changes what a cached listings page must show. The listings
app can't listen for it itself: bookings depend on listings, never the reverse. So bookings
tells the listings cache, with the same receiver ``listings/signals.py`` has for listings and
reviews: every ``save()`` and ``delete()`` sends it, whoever made the change, and the
generation goes up once the transaction commits. ``update()`` and bulk writes send no
signal: the services that use them bump it themselves (``booking_expire_unpaid``).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bookings.models import Booking
from listings.cache import bump_generation_on_commit


@receiver([post_save, post_delete], sender=Booking, dispatch_uid="bookings-listings-cache")
def booking_changed(sender, **kwargs) -> None:
    # A bulk delete sends one signal per row; the commit still bumps once.
    bump_generation_on_commit()
