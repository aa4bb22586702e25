"""Wishlists' receivers: a host's price edit emails guests; adds and removes invalidate the cache.

**Price drops.** ``listings.services.listing_update`` sends ``listing_updated`` after a host's
edit. Wishlists is built on listings, so it listens instead of being called: listings never
imports wishlists (its import direction is tested), and a new feature like this one plugs in
here, in ``WishlistsConfig.ready()``, without touching listings' code. Not ``post_save`` on
``Listing``: that fires for every save (the admin, a shell, a data migration) and can't tell
a host's edit from a fix; ``listing_updated`` is sent only by the service a host's edit goes
through.

**Cache invalidation.** The same reasons as ``listings/signals.py``: every ``save()``/``delete()``
sends these, whoever made the change (a service, the admin, a shell), and ``on_commit`` keeps a
concurrent request from caching the old list under the new version. Price changes need nothing
here: the key contains the listings generation, which ``listings/signals.py`` already bumps.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from listings.models import Listing
from listings.signals import listing_updated
from wishlists.cache import bump_wishlist_version_on_commit
from wishlists.models import WishlistItem
from wishlists.services import wishlist_price_drop_notify


@receiver(listing_updated, dispatch_uid="wishlists-price-drop")
def listing_repriced(sender, listing: Listing, fields: frozenset[str], **kwargs) -> None:
    # A new price, or a listing back on the market at a price below the one guests know of.
    if {"price_per_night", "is_active"} & fields:
        wishlist_price_drop_notify(listing=listing)


@receiver([post_save, post_delete], sender=WishlistItem, dispatch_uid="wishlists-cache-item")
def wishlist_changed(sender, instance: WishlistItem, **kwargs) -> None:
    bump_wishlist_version_on_commit(instance.user_id)
