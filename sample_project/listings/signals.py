"""Listings' signals: the one listings sends (``listing_updated``), and cache invalidation.

**listing_updated.** Apps built on listings react to a host's edit — wishlists emails the
guests who saved a listing when its price drops. Listings can't call them: it sits below them
(bookings, payments and wishlists import listings, never the reverse), so it announces the
edit and they connect a receiver in their ``AppConfig.ready()``. A signal of its own rather
than ``post_save``: only ``listings.services.listing_update`` sends it, so a host's edit
through the API does, and a bulk fix in a shell, the admin or a data migration emails nobody.

**Cache invalidation**: a write to listings data makes every cached copy stale once it
commits. Signals are the right tool here (and for little else, see the HackSoft styleguide):
every ``save()`` and ``delete()`` sends them, whichever service, admin page or shell made the
change. Two things they don't see, both sent no signal at all:

- ``QuerySet.update()`` and ``bulk_create()`` / ``bulk_update()`` write SQL directly. Go
  through a service that calls ``save()``, or call ``listings.cache.bump_generation_on_commit()``
  after the bulk write yourself (the seed command and ``booking_expire_unpaid`` do).
- Raw SQL, and writes by other programs to the same database.

Why on commit: invalidating *inside* the transaction lets a concurrent request read the
old row (the new one isn't committed yet) and cache it again under the new generation —
the stale copy would then outlive the write. After the commit, the next read sees the new
row. If the transaction rolls back, nothing changed and nothing is invalidated.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from listings.cache import bump_generation_on_commit
from listings.models import Listing

#: Sent by ``listing_update`` once a host's edit is saved, in the edit's transaction, with
#: ``listing`` (the saved Listing) and ``fields`` (a frozenset of the field names it set).
listing_updated = Signal()


# A listing's card also shows its rating (reviews) and search results depend on free dates
# (bookings), but listings can't import bookings (bookings depend on listings):
# bookings/signals.py connects the same bump to Booking and Review. A host renaming their
# account invalidates nothing: their new username shows once the cached entries expire
# (CACHE_TTL_LISTINGS).
@receiver([post_save, post_delete], sender=Listing, dispatch_uid="listings-cache-listing")
def listings_changed(sender, **kwargs) -> None:
    # A bulk delete sends one signal per row; the commit still bumps once.
    bump_generation_on_commit()
