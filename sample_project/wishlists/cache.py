"""Caching a user's wishlist: private data, so cached per user and after authentication.

``listings.cache.cached_response`` caches whole responses keyed by URL and the raw
``Authorization``/``Cookie`` headers, under the one listings generation — fine for the public
catalogue, wrong for a wishlist: a key per token misses after every token refresh, and a
guest's add could only show by making every cached listings page stale. Here the view runs as
usual (401 for anonymous, the user from the token) and only the data is cached, under a key
that names the user and two counters:

    listings:g<generation>:wishlist:<user id>:v<version>

- the listings **generation** (``listings/cache.py``) changes on commit of any write to a
  listing, so a new price or title shows in every wishlist on the next request;
- the user's **version** changes on commit of an add or a remove (``wishlists/signals.py``),
  so one guest's change makes only their own entry stale.

Nothing is deleted: a changed counter makes a new key, and old entries expire on their own.
"""

from __future__ import annotations

from accounts.models import User
from config.cache import Generation
from listings.cache import get_or_compute, listings_key


def _version(user_id: int) -> Generation:
    return Generation(f"wishlists:user:{user_id}:version")


def wishlist_version(user_id: int) -> int:
    """The current version of ``user_id``'s wishlist; part of its cache key."""
    return _version(user_id).current()


def bump_wishlist_version_on_commit(user_id: int) -> None:
    """Make ``user_id``'s cached wishlist stale once the current transaction commits."""
    _version(user_id).bump_on_commit()


def wishlist_key(user_id: int) -> str:
    """The cache key of ``user_id``'s wishlist as it is now."""
    return listings_key("wishlist", user_id, f"v{wishlist_version(user_id)}")


def cached_wishlist(*, user: User) -> list[dict]:
    """``user``'s wishlist as the API shows it, from the cache or computed and cached."""
    from wishlists.selectors import wishlist_list
    from wishlists.serializers import WishlistItemSerializer

    def compute() -> list[dict]:
        return [dict(row) for row in
                WishlistItemSerializer(wishlist_list(user=user), many=True).data]

    return get_or_compute(wishlist_key(user.pk), compute)
