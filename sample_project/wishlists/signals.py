"""Cache invalidation for wishlists: an add or a remove makes the user's entry stale on commit.

The same reasons as ``listings/signals.py``: every ``save()``/``delete()`` sends these, whoever
made the change (a service, the admin, a shell), and ``on_commit`` keeps a concurrent request
from caching the old list under the new version. Price changes need nothing here: the key
contains the listings generation, which ``listings/signals.py`` already bumps.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wishlists.cache import bump_wishlist_version_on_commit
from wishlists.models import WishlistItem


@receiver([post_save, post_delete], sender=WishlistItem, dispatch_uid="wishlists-cache-item")
def wishlist_changed(sender, instance: WishlistItem, **kwargs) -> None:
    bump_wishlist_version_on_commit(instance.user_id)
