"""Cache invalidation for wishlists: an add or a remove makes the user's entry stale on commit.

The same reasons as ``listings/signals.py``: every ``save()``/``delete()`` sends these, whoever
made the change (a service, the admin, a shell), and ``on_commit`` keeps a concurrent request
from caching the old list under the new version. Price changes need nothing here: the key
contains the listings generation, which ``listings/signals.py`` already bumps.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wishlists.cache import bump_wishlist_version
from wishlists.models import WishlistItem


@receiver([post_save, post_delete], sender=WishlistItem, dispatch_uid="wishlists-cache-item")
def wishlist_changed(sender, instance: WishlistItem, **kwargs) -> None:
    transaction.on_commit(partial(bump_wishlist_version, instance.user_id))
