"""Caching for listings: the key scheme, the generation that invalidates it, and three levels.

Every cached copy of listings data has a key in the ``listings`` namespace that contains the
current **generation**, e.g. ``listings:g42:city-stats``. A write to a listing, a review or a
booking does not hunt for keys to delete (some, like ``cache_page``'s, are hashes nobody can
rebuild); it increments the generation once its transaction commits (``listings/signals.py``
for listings, ``bookings/signals.py`` for bookings and reviews).
From the next request on every key is new, so an update is visible at once; the old entries
are never read again and expire on their own (``CACHE_TTL_LISTINGS``).

The three levels, outermost first:

- :func:`cached_response` — the whole HTTP response of a view (Django's ``cache_page``),
  per authenticated viewer, so a host never gets a guest's page or the reverse;
- :func:`get_or_compute` — any value under an explicit key (querysets, aggregates), safe
  against a stampede of requests recomputing the same expired key;
- :func:`listing_cards` — each listing's card (its ``ListingSerializer`` output), shared by
  every page, filter and user that shows the listing.

Keys are namespaced here; Django adds the project's ``KEY_PREFIX`` and a version in front
(``nexus:1:listings:g42:city-stats``), so nothing else in the Redis database can collide.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_page
from django.views.decorators.vary import vary_on_headers

from config.cache import Generation

T = TypeVar("T")

NAMESPACE = "listings"
GENERATION_KEY = f"{NAMESPACE}:generation"
#: How long a lock taken by :func:`get_or_compute` lives if its holder dies mid-compute.
LOCK_TIMEOUT = 10
_MISSING = object()


# --- the generation ------------------------------------------------------------------------------
#: The generation of listings data: every cached listings key contains its current value.
GENERATION = Generation(GENERATION_KEY)
#: The current generation (an int); see :meth:`config.cache.Generation.current`.
generation = GENERATION.current
#: Make every cached listings entry stale now: the next read computes a fresh one.
bump_generation = GENERATION.bump


def bump_generation_on_commit() -> None:
    """Make every cached listings entry stale once the current transaction commits.

    What every write to listings data calls — a signal for ``save()``/``delete()``, the
    service itself for ``update()``, bulk writes and raw SQL, which send no signal. One
    bump per transaction, however many rows it wrote (``config.cache.Generation``).
    """
    GENERATION.bump_on_commit()


def listings_key(*parts: object) -> str:
    """``listings:g<generation>:<part>:<part>…`` — a key that a write makes stale."""
    return ":".join([NAMESPACE, f"g{generation()}", *(str(part) for part in parts)])


# --- level 2: a value under an explicit key, stampede-safe ---------------------------------------
def get_or_compute(key: str, compute: Callable[[], T], *, timeout: int | None = None,
                   poll: float = 0.01) -> T:
    """The value cached under ``key``, or ``compute()``'s result, cached for ``timeout`` seconds.

    When a hot key is missing, only the caller that wins ``cache.add(<key>:lock)`` computes
    (after reading the key once more: the previous winner may have just finished); the
    others wait for its result instead of all hitting the database at once (a cache
    stampede). If the lock disappears without a value (its holder crashed, or Redis is
    unreachable), a waiter computes the value itself: the cache may slow a request down by
    a few polls, never stop it.
    """
    timeout = settings.CACHE_TTL_LISTINGS if timeout is None else timeout
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    lock = f"{key}:lock"
    if cache.add(lock, 1, timeout=LOCK_TIMEOUT):
        try:
            # Read again under the lock: a winner may have stored the value and released
            # its lock between our miss and our add.
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = compute()
                cache.set(key, value, timeout=timeout)
            return value
        finally:
            cache.delete(lock)
    deadline = time.monotonic() + LOCK_TIMEOUT
    while cache.has_key(lock) and time.monotonic() < deadline:
        time.sleep(poll)
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
    value = cache.get(key, _MISSING)
    return compute() if value is _MISSING else value


# --- level 1: whole responses --------------------------------------------------------------------
def cached_response(method: Callable) -> Callable:
    """Decorate a viewset method: cache its GET responses in Redis, per URL and viewer.

    ``cache_page`` does the work; its key prefix carries the generation, so a write makes
    every cached page stale at once, and **who the request was authenticated as** (DRF has
    authenticated it before a viewset method runs): a host sees their inactive listings, an
    anonymous visitor must not get that page. Keying on the ``Cookie`` and ``Authorization``
    headers alone is not enough: after a logout (or a deactivation) the same cookie arrives
    again, authenticates as nobody, and would still find the host's page under its old key.
    The headers stay in ``Vary`` for any cache between us and the client.

    It wraps the viewset *action*, which DRF calls after ``initial()``: authentication,
    permission and throttle checks run on every request, hit or miss. What a hit skips is
    the action's body — the queryset, ``get_object()`` with its object permissions, and
    serialization. Private data wants a key per user as well as the viewer
    (``wishlists/cache.py``).
    """

    @functools.wraps(method)
    def wrapper(viewset: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        def view(request: Any, *args: Any, **kwargs: Any) -> Any:
            return method(viewset, request, *args, **kwargs)

        # Built per request, because the prefix changes with every write.
        viewer = f"u{request.user.pk}" if request.user.is_authenticated else "anon"
        cached = cache_page(settings.CACHE_TTL_LISTINGS,
                            key_prefix=f"{NAMESPACE}:g{generation()}:{viewer}")(
            vary_on_headers("Authorization", "Cookie")(view))
        response = cached(request, *args, **kwargs)
        if getattr(response, "is_rendered", True):
            _revalidate(response)  # a cache hit: a plain, finished HttpResponse
        else:
            # A DRF Response is rendered later, and cache_page decides whether to store it
            # then: add the header after that decision (it skips no-cache responses).
            response.add_post_render_callback(_revalidate)
        return response

    return wrapper


def _revalidate(response: Any) -> None:
    # cache_page also tells browsers and proxies to keep the page for the whole timeout
    # (Cache-Control: max-age), where no write can reach it. no-cache makes them ask us
    # again every time; the copy that saves work is the one in Redis.
    patch_cache_control(response, no_cache=True)


# --- level 3: serializer output ------------------------------------------------------------------
def listing_cards(listings: Iterable[Any]) -> list[dict]:
    """The cards of ``listings`` (``ListingSerializer`` output), each cached under its own key.

    The cards of a page come back in one round trip (``get_many``); only the missing ones
    are built (``listing_card``), and stored in one more (``set_many``). A card is the same
    for every viewer, so pages, filters and users that show the same listing share it.
    """
    from listings.serializers import listing_card  # serializers import selectors

    listings = list(listings)
    prefix = listings_key("card")
    keys = {listing.pk: f"{prefix}:{listing.pk}" for listing in listings}
    found = cache.get_many(list(keys.values()))
    missing = [listing for listing in listings if keys[listing.pk] not in found]
    if missing:
        stored = {keys[listing.pk]: listing_card(listing) for listing in missing}
        cache.set_many(stored, timeout=settings.CACHE_TTL_LISTINGS)
        found.update(stored)
    return [found[keys[listing.pk]] for listing in listings]
