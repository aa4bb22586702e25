"""The unread badge: each user's number of unread messages, cached per user.

Every page of a client shows it, so it is asked for far more often than it changes. It is
cached the way wishlists are (``wishlists/cache.py``): under a key that contains a per-user
**version**,

    messaging:unread:<user id>:v<version>

and a write that changes the number bumps the version once its transaction commits. Nothing is
deleted on a change: a concurrent request that counted before the commit stores its stale
number under the old version, which nobody reads any more.

What bumps it (every write path that changes the number, Zulip's rule in STYLE.md):

- a message saved or deleted — ``messaging/signals.py``, for the message's receiver: every
  ``save()`` and ``delete()`` sends those signals, the deletions that CASCADE makes included;
- messages marked read — ``messaging.services.thread_mark_read`` itself: it uses
  ``QuerySet.update()``, which sends no signal.

The version counter is stored without an expiry (``config.cache.Generation``), so it would
outlive its user: ``forget_user_on_commit`` deletes it when the account goes, which the
database's CASCADE can't do — Redis holds no foreign keys.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from config.cache import Generation

NAMESPACE = "messaging"
#: Seconds a cached count may live; a write makes it stale at once, this only bounds how long
#: a number can outlive a write the cache never heard of (e.g. one made while Redis was down).
UNREAD_COUNT_TTL = 300


def _version(user_id: int) -> Generation:
    return Generation(f"{NAMESPACE}:user:{user_id}:unread-version")


def unread_count_key(user_id: int) -> str:
    """The cache key of ``user_id``'s unread count as it is now."""
    return f"{NAMESPACE}:unread:{user_id}:v{_version(user_id).current()}"


def bump_unread_on_commit(user_id: int) -> None:
    """Make ``user_id``'s cached unread count stale once the current transaction commits."""
    _version(user_id).bump_on_commit()


def cached_unread_count(*, user: User) -> int:
    """How many messages ``user`` has not read yet: from the cache, or counted and cached."""
    from messaging.selectors import message_unread_count  # selectors don't import the cache

    key = unread_count_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = message_unread_count(user=user)
        cache.set(key, count, timeout=UNREAD_COUNT_TTL)
    return count


def forget_user_on_commit(user_id: int) -> None:
    """Delete ``user_id``'s version counter once the current transaction commits.

    Called for a deleted account. The counter is the one key that never expires; the counts
    cached under it do, after ``UNREAD_COUNT_TTL``. On commit, because a rolled-back deletion
    left the user in place; and after the bumps the same transaction queued for this user
    (``on_commit`` runs callbacks in the order they were registered, and Django sends
    ``post_delete`` for a user's messages before the user's own), so no bump re-creates it.
    """
    key = _version(user_id).key
    transaction.on_commit(lambda: cache.delete(key))
