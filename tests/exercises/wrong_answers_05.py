"""Plausible wrong answers to the exercises of lesson 05, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import time

MISSING = object()


# --- 05.1 listing_summary -------------------------------------------------------------------------
def _summary_from_db(listing_id):
    from nexus.exercises.checks.lesson05 import summary_truth

    return summary_truth(listing_id)  # the notebook's summary_from_db, same two queries


def _cached_summary(key, listing_id, **set_kwargs):
    from django.core.cache import cache

    summary = cache.get(key)
    if summary is None:
        summary = _summary_from_db(listing_id)
        cache.set(key, summary, **set_kwargs)
    return summary


def summary_key_without_id(listing_id):
    return _cached_summary("listing-summary", listing_id, timeout=600)


def summary_other_namespace(listing_id):
    return _cached_summary(f"summary:{listing_id}", listing_id, timeout=600)


def summary_no_timeout(listing_id):
    return _cached_summary(f"listing-summary:{listing_id}", listing_id, timeout=None)


def summary_default_timeout(listing_id):
    return _cached_summary(f"listing-summary:{listing_id}", listing_id)


def summary_minutes_as_seconds(listing_id):
    return _cached_summary(f"listing-summary:{listing_id}", listing_id, timeout=10 * 60 * 60)


def summary_recomputes(listing_id):
    from django.core.cache import cache

    summary = _summary_from_db(listing_id)  # "keeps the cache fresh"
    cache.set(f"listing-summary:{listing_id}", summary, timeout=600)
    return summary


# --- 05.2 invalidate_listing_summary --------------------------------------------------------------
def invalidate_immediately(sender, instance, **kwargs):
    from django.core.cache import cache

    cache.delete(f"listing-summary:{instance.pk}")


def invalidate_wrong_key(sender, instance, **kwargs):
    from django.core.cache import cache
    from django.db import transaction

    transaction.on_commit(lambda: cache.delete(f"listing:{instance.pk}"))


def invalidate_without_id(sender, instance, **kwargs):
    from django.core.cache import cache
    from django.db import transaction

    transaction.on_commit(lambda: cache.delete("listing-summary"))


def invalidate_only_created(sender, instance, created=False, **kwargs):
    from django.core.cache import cache
    from django.db import transaction

    if created:
        transaction.on_commit(lambda: cache.delete(f"listing-summary:{instance.pk}"))


def invalidate_every_summary(sender, instance, **kwargs):
    from django.core.cache import cache
    from django.db import transaction

    def forget_all():
        ids = type(instance).objects.values_list("pk", flat=True)
        cache.delete_many([f"listing-summary:{pk}" for pk in ids])

    transaction.on_commit(forget_all)


# --- 05.3 get_or_compute --------------------------------------------------------------------------
def goc_plain(key, compute, timeout):
    from django.core.cache import cache

    value = cache.get(key, MISSING)
    if value is MISSING:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value


def goc_waiters_get_none(key, compute, timeout):
    from django.core.cache import cache

    value = cache.get(key, MISSING)
    if value is not MISSING:
        return value
    lock = f"{key}:lock"
    if cache.add(lock, 1, timeout=10):
        try:
            value = compute()
            cache.set(key, value, timeout=timeout)
            return value
        finally:
            cache.delete(lock)
    return cache.get(key)  # "someone else is computing it"


def _locked(key, compute, timeout, *, release=True, in_finally=True, is_miss=None):
    from django.core.cache import cache

    is_miss = is_miss or (lambda value: value is MISSING)
    value = cache.get(key, MISSING)
    if not is_miss(value):
        return value
    lock = f"{key}:lock"
    if cache.add(lock, 1, timeout=10):
        if in_finally:
            try:
                value = compute()
                cache.set(key, value, timeout=timeout)
                return value
            finally:
                if release:
                    cache.delete(lock)
        value = compute()
        cache.set(key, value, timeout=timeout)
        cache.delete(lock)
        return value
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.01)
        value = cache.get(key, MISSING)
        if not is_miss(value):
            return value
    return compute()


def goc_lock_kept(key, compute, timeout):
    return _locked(key, compute, timeout, release=False)


def goc_lock_not_released_on_error(key, compute, timeout):
    return _locked(key, compute, timeout, in_finally=False)


def goc_truthy(key, compute, timeout):
    return _locked(key, compute, timeout, is_miss=lambda value: value is MISSING or not value)


def goc_none_is_a_miss(key, compute, timeout):
    return _locked(key, compute, timeout, is_miss=lambda value: value is MISSING or value is None)


def goc_swallows_errors(key, compute, timeout):
    def safe():
        try:
            return compute()
        except Exception:
            return None

    return _locked(key, safe, timeout)


def goc_global_lock(key, compute, timeout):
    from django.core.cache import cache

    value = cache.get(key, MISSING)
    if value is not MISSING:
        return value
    lock = "stampede-lock"  # one lock "for the cache"
    if cache.add(lock, 1, timeout=10):
        try:
            value = cache.get(key, MISSING)
            if value is MISSING:
                value = compute()
                cache.set(key, value, timeout=timeout)
            return value
        finally:
            cache.delete(lock)
    deadline = time.monotonic() + 10
    while cache.has_key(lock) and time.monotonic() < deadline:
        time.sleep(0.01)
        value = cache.get(key, MISSING)
        if value is not MISSING:
            return value
    value = cache.get(key, MISSING)
    return compute() if value is MISSING else value


#: exercise id → (wrong answer, a phrase of the hint meant for it)
WRONG_ANSWERS = {
    "05.1": [(summary_key_without_id, "put the listing's id in the key"),
             (summary_other_namespace, "use the key scheme the task gives"),
             (summary_no_timeout, "the key never expires"),
             (summary_default_timeout, "Django's default TIMEOUT"),
             (summary_minutes_as_seconds, "timeout is in seconds"),
             (summary_recomputes, "read the cache first")],
    "05.2": [(invalidate_immediately, "only once the transaction commits"),
             (invalidate_wrong_key, "a key of another namespace"),
             (invalidate_without_id, "the key you deleted has no id"),
             (invalidate_only_created, "nothing was registered with transaction.on_commit"),
             (invalidate_every_summary, "that listing's summary only")],
    "05.3": [(goc_plain, "only the caller that wins cache.add"),
             (goc_waiters_get_none, "a loser must wait"),
             (goc_lock_kept, "release the lock when the computation ends"),
             (goc_lock_not_released_on_error, "when compute() raised, the lock stayed"),
             (goc_truthy, "tell a miss from a falsy value"),
             (goc_none_is_a_miss, "both for a miss and for a cached None"),
             (goc_swallows_errors, "let compute()'s exception propagate"),
             (goc_global_lock, "name it after the key")],
}
