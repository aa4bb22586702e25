"""Cache invalidation: a write to listings data makes every cached copy stale once it commits.

Signals are the right tool here (and for little else, see the HackSoft styleguide): every
``save()`` and ``delete()`` sends them, whichever service, admin page or shell made the
change. Two things they don't see, both sent no signal at all:

- ``QuerySet.update()`` and ``bulk_create()`` / ``bulk_update()`` write SQL directly. Go
  through a service that calls ``save()``, or call ``listings.cache.bump_generation()``
  after the bulk write yourself (the seed command does).
- Raw SQL, and writes by other programs to the same database.

Why ``on_commit``: invalidating *inside* the transaction lets a concurrent request read the
old row (the new one isn't committed yet) and cache it again under the new generation —
the stale copy would then outlive the write. After the commit, the next read sees the new
row. If the transaction rolls back, nothing changed and nothing is invalidated.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from bookings.models import Booking
from listings.cache import bump_generation
from listings.models import Listing, Review


def invalidate_listings_on_commit() -> None:
    """Bump the listings generation when the current transaction commits — once per transaction.

    A bulk delete sends one signal per row; a thousand bumps would do what one does.
    Outside a transaction, ``on_commit`` runs the bump at once.
    """
    connection = transaction.get_connection()
    # run_on_commit holds (savepoint ids, callback, robust) for the open transaction.
    if any(callback is bump_generation for _, callback, _ in connection.run_on_commit):
        return
    transaction.on_commit(bump_generation)


# A listing's card shows its rating (reviews) and search results depend on free dates
# (bookings), so all three models invalidate. A host renaming their account does not:
# their new username shows once the cached entries expire (CACHE_TTL_LISTINGS).
@receiver([post_save, post_delete], sender=Listing, dispatch_uid="listings-cache-listing")
@receiver([post_save, post_delete], sender=Review, dispatch_uid="listings-cache-review")
@receiver([post_save, post_delete], sender=Booking, dispatch_uid="listings-cache-booking")
def listings_changed(sender, **kwargs) -> None:
    invalidate_listings_on_commit()
