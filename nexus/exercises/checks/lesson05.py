"""Lesson 05 — caching strategies with Redis.

Every check runs the learner's code against the sample project's **real** cache: Django's
``RedisCache`` (``config.cache.ResilientRedisCache``) on the course's Redis, read back with
redis-py to see the keys and their TTLs as Redis holds them. Each check gives the cache a key
prefix of its own (``<the notebook's prefix>:check-05.N-<random>``, through Django's
``override_settings``), so a check can be run again and again, never reads an entry of an earlier
run and never touches the notebook's or the project's entries; every key it made is deleted when
it ends.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_05.py):

05.1 listing_summary — one key for every listing; another key scheme; no timeout; Django's default
     timeout; minutes given as seconds; the database asked on every call.
05.2 invalidate_listing_summary — the key deleted at once (before the commit) or after a rollback;
     another namespace's key; the namespace without the id; only created listings; every
     listing's summary deleted.
05.3 get_or_compute — no lock; losers returning None before the value exists; the lock never
     released, or not released when compute() raises; a falsy value (or None) taken for a miss;
     compute()'s error swallowed; one lock for every key (two keys stampeded at once must each
     be computed once, at the same time).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from nexus.exercises.checks.support import Rollback, queries_during, short
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("05", "Caching strategies with Redis")

#: The key scheme the tasks give: the summary of listing 7 lives under ``listing-summary:7``.
SUMMARY_NAMESPACE = "listing-summary"
#: Exercise 05.1 asks for a 10-minute timeout; Django's default TIMEOUT is 300 s.
SUMMARY_TIMEOUT = 600
DEFAULT_TIMEOUT = 300


@dataclass
class _Namespace:
    """The check's own key prefix, a redis-py client on the cache's database, and its keys."""

    prefix: str
    client: object
    version: int = 1
    _before: set[str] = field(default_factory=set)

    def _pattern(self) -> str:
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix)
        return f"{escaped}:*"

    def raw_keys(self) -> set[str]:
        """Every Redis key under this check's prefix, as Redis names it."""
        return {key.decode() for key in self.client.scan_iter(match=self._pattern(), count=1000)}

    def names(self) -> set[str]:
        """The keys as the learner's code named them (``listing-summary:7``)."""
        head = f"{self.prefix}:{self.version}:"
        return {key[len(head):] if key.startswith(head) else key for key in self.raw_keys()}

    def ttl(self, key: str) -> int:
        """Seconds ``key`` has left in Redis; -1 if it never expires, -2 if it doesn't exist."""
        return self.client.ttl(f"{self.prefix}:{self.version}:{key}")

    def clean(self) -> None:
        keys = list(self.client.scan_iter(match=self._pattern(), count=1000))
        if keys:
            self.client.delete(*keys)


@contextlib.contextmanager
def _own_namespace(exercise_id: str) -> Iterator[_Namespace]:
    """For the duration of the block, Django's cache writes under a key prefix of this check only.

    ``override_settings(CACHES=…)`` makes Django drop its cache objects in every thread
    (``django.test.signals.clear_cache_handlers``), so threads the check starts get the check's
    prefix too; on exit the notebook's own cache comes back, untouched.
    """
    import redis
    from django.conf import settings
    from django.test import override_settings
    from django.test import signals as _connects_clear_cache_handlers  # noqa: F401

    config = settings.CACHES["default"]
    prefix = f"{config.get('KEY_PREFIX', '')}:check-{exercise_id}-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(config["LOCATION"], socket_timeout=5)
    namespace = _Namespace(prefix, client)
    try:
        with override_settings(CACHES={**settings.CACHES, "default": {**config,
                                                                       "KEY_PREFIX": prefix}}):
            yield namespace
    finally:
        namespace.clean()
        client.close()


def _two_listings():
    from listings.models import Listing

    first, second = Listing.objects.filter(is_active=True).order_by("id")[:2]
    return first, second


def summary_truth(listing_id: int) -> dict:
    """What ``summary_from_db`` in the exercise notebook returns: the value to be cached."""
    from django.db.models import Avg, Count

    from listings.models import Listing

    listing = Listing.objects.get(pk=listing_id)
    reviews = listing.reviews.aggregate(count=Count("id"), average=Avg("rating"))
    average = reviews["average"]
    return {"id": listing.pk, "title": listing.title, "city": listing.city,
            "price_per_night": listing.price_per_night, "reviews": reviews["count"],
            "average_rating": None if average is None else round(float(average), 2)}


def _queries(function: Callable[[], object]) -> tuple[object, int]:
    value, sql = queries_during(function)
    return value, len(sql)


def _short(value: object) -> str:
    return short(value, 160)


# --- 05.1 -----------------------------------------------------------------------------------------
@exercise("05.1", "listing_summary: a cached function")
def check_listing_summary(listing_summary) -> None:
    look = 'lesson 05, "1. Django\'s cache is a Redis database" and "7. Level 2 and level 3"'
    first, second = _two_listings()
    expected_key = f"{SUMMARY_NAMESPACE}:{first.pk}"
    with _own_namespace("05.1") as space:
        value, queries = _queries(lambda: listing_summary(first.pk))
        truth = summary_truth(first.pk)
        if value != truth:
            raise Fail(expected=f"listing_summary({first.pk}) → {_short(truth)}",
                       got=_short(value),
                       hint="return the summary summary_from_db() computes (the cached copy "
                            "of it on a hit): caching must not change the answer.", look=look)
        stored = space.names()
        if not stored:
            raise Fail(expected=f"after the first call, a key {expected_key!r} in Redis",
                       got="no key at all under this check's prefix",
                       hint="on a miss, store the value with cache.set(key, value, timeout) "
                            "before returning it.", look=look)
        other, _ = _queries(lambda: listing_summary(second.pk))
        if other != summary_truth(second.pk):
            collided = other == truth
            raise Fail(expected=f"listing_summary({second.pk}) → listing {second.pk}'s summary",
                       got=f"listing {first.pk}'s summary" if collided else _short(other),
                       hint="two listings share one cache entry: put the listing's id in the "
                            "key, so every listing has a key of its own." if collided else
                            "each listing's summary must come from its own key.", look=look)
        if expected_key not in stored:
            with_id = [key for key in stored if str(first.pk) in key.split(":")]
            raise Fail(expected=f"the summary of listing {first.pk} under the key "
                                f"{expected_key!r}",
                       got=f"keys {sorted(stored)}",
                       hint=f"use the key scheme the task gives — namespace "
                            f"{SUMMARY_NAMESPACE!r}, a colon, the id — so that 05.2's "
                            "handler (and anyone reading Redis) can find the entry."
                       if with_id else "put the listing's id in the key, so every listing "
                                       "has a key of its own.", look=look)
        ttl = space.ttl(expected_key)
        if not 0 < ttl <= SUMMARY_TIMEOUT or ttl <= DEFAULT_TIMEOUT:
            if ttl == -1:
                hint = "the key never expires (timeout=None): a summary nobody invalidates " \
                       "would then be stale forever. Pass timeout=600 (10 minutes)."
            elif ttl > SUMMARY_TIMEOUT:
                hint = "the entry lives longer than the 10 minutes asked: timeout is in " \
                       "seconds, 10 minutes is 600."
            else:
                hint = f"the entry expires after {DEFAULT_TIMEOUT} s or less — Django's default " \
                       "TIMEOUT when you pass none — not after the 10 minutes asked: pass " \
                       "timeout=600."
            raise Fail(expected=f"a TTL of at most {SUMMARY_TIMEOUT} s, about 10 minutes",
                       got="no expiry (TTL -1)" if ttl == -1 else f"TTL {ttl} s",
                       hint=hint, look=look)
        again, again_queries = _queries(lambda: listing_summary(first.pk))
        if again_queries:
            raise Fail(expected=f"the second listing_summary({first.pk}): 0 SQL queries "
                                "(a cache hit)",
                       got=f"{again_queries} queries (the first call sent {queries})",
                       hint="the second call still queried the database: read the cache first "
                            "(cache.get) and compute only on a miss.", look=look)
        if again != truth:
            raise Fail(expected="the second call → the same summary as the first",
                       got=_short(again),
                       hint="on a hit, return the value cache.get gave you.", look=look)


# --- 05.2 -----------------------------------------------------------------------------------------
def _callbacks() -> list:
    from django.db import transaction

    return [callback for _, callback, _ in transaction.get_connection().run_on_commit]


@exercise("05.2", "invalidate_listing_summary: delete on commit")
def check_invalidate_listing_summary(handler) -> None:
    from django.core.cache import cache
    from django.db import transaction
    from django.db.models.signals import post_save

    from listings.cache import GENERATION
    from listings.models import Listing

    look = 'lesson 05, "5. Invalidation" (on_commit) and sample_project/listings/signals.py'
    listing, neighbour = _two_listings()
    key, neighbour_key = (f"{SUMMARY_NAMESPACE}:{listing.pk}",
                          f"{SUMMARY_NAMESPACE}:{neighbour.pk}")
    uid = f"check-05.2-{uuid.uuid4().hex}"
    with _own_namespace("05.2") as space:
        post_save.connect(handler, sender=Listing, dispatch_uid=uid, weak=False)
        try:
            # 1. A save in a transaction that rolls back.
            cache.set_many({key: "summary", neighbour_key: "neighbour's summary"}, timeout=600)
            inside: dict[str, object] = {}
            try:
                with transaction.atomic():
                    before = len(_callbacks())
                    listing.save()
                    inside["present"] = key in space.names()
                    inside["registered"] = [c for c in _callbacks()[before:]
                                            if getattr(c, "generation", None) is not GENERATION]
                    raise Rollback
            except Rollback:
                pass
            if not inside["present"]:
                raise Fail(expected=f"{key!r} still cached inside the transaction, until it "
                                    "commits",
                           got="deleted as soon as the listing was saved",
                           hint="a concurrent request can still read the old row until the "
                                "commit, and cache it again: delete the key only once the "
                                "transaction commits — hand the deletion to "
                                "transaction.on_commit.", look=look)
            if key not in space.names():
                raise Fail(expected=f"{key!r} still cached after a rollback (nothing changed)",
                           got="deleted", hint="after a rollback nothing changed, so nothing "
                           "must be invalidated: delete the key only in transaction.on_commit.",
                           look=look)
            registered = inside["registered"]
            listing.refresh_from_db()

            # 2. A save in a transaction that commits; near-miss keys show what was deleted.
            decoys = {"no id": SUMMARY_NAMESPACE, "other namespace": f"listing:{listing.pk}"}
            cache.set_many({decoy: "decoy" for decoy in decoys.values()}, timeout=600)
            with transaction.atomic():
                listing.save()
            after = space.names()
            if key in after:
                hint = "nothing was registered with transaction.on_commit when an existing " \
                       "listing was saved: every save changes the summary (created or not), " \
                       "so every save must register the deletion."
                if decoys["no id"] not in after:
                    hint = f"the key you deleted has no id: each listing's summary lives under " \
                           f"a key of its own, {SUMMARY_NAMESPACE}:<id of the saved instance>."
                elif decoys["other namespace"] not in after:
                    hint = f"this listing's key survived: you deleted a key of another " \
                           f"namespace — the summary is where 05.1 stores it, " \
                           f"{SUMMARY_NAMESPACE}:<id>."
                elif registered:
                    hint = f"a callback ran on commit, but this listing's key survived: delete " \
                           f"the key 05.1 stores, {SUMMARY_NAMESPACE}:<id of the saved " \
                           "listing> (the instance the signal sends), nothing else."
                raise Fail(expected=f"{key!r} deleted once the transaction committed",
                           got="still cached after the commit", hint=hint, look=look)
            if neighbour_key not in after:
                raise Fail(expected=f"only {key!r} deleted; {neighbour_key!r} (another "
                                    "listing) kept",
                           got=f"{neighbour_key!r} deleted too",
                           hint="saving one listing must invalidate that listing's summary "
                                "only: delete one key, built from the saved instance.",
                           look=look)
        finally:
            post_save.disconnect(sender=Listing, dispatch_uid=uid)


# --- 05.3 -----------------------------------------------------------------------------------------
THREADS = 8
COMPUTE_SECONDS = 0.3
JOIN_SECONDS = 15


def _stampede(get_or_compute, keys: list[str], value: object) -> tuple[list, list, list, list]:
    """Release THREADS callers at once (spread over ``keys``); return (the key of each
    computation, results, errors, stuck threads)."""
    runs: list[str] = []
    results: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def caller(key: str) -> None:
        from django.db import connections

        def slow_compute() -> object:
            runs.append(key)
            time.sleep(COMPUTE_SECONDS)  # a deliberately slow query
            return value

        try:
            barrier.wait(timeout=JOIN_SECONDS)
            results.append(get_or_compute(key, slow_compute, 60))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=caller, args=(keys[n % len(keys)],), daemon=True,
                                name=f"check-05.3-{n}") for n in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return runs, results, errors, [thread for thread in threads if thread.is_alive()]


@exercise("05.3", "get_or_compute: no stampede")
def check_get_or_compute(get_or_compute) -> None:
    look = 'lesson 05, "8. The stampede" and get_or_compute in sample_project/listings/cache.py'
    value = {"stays": 42, "price": Decimal("1234.50")}
    key = "stampede:city-stats"
    with _own_namespace("05.3") as space:
        runs, results, errors, stuck = _stampede(get_or_compute, [key], value)
        if stuck:
            raise Fail(expected=f"all {THREADS} callers done within {JOIN_SECONDS} s "
                                f"(the computation takes {COMPUTE_SECONDS} s)",
                       got=f"{len(stuck)} still waiting",
                       hint="a waiter must stop waiting once the value is there (or the lock "
                            "is gone): poll cache.get with a short sleep, and give up after a "
                            "bounded time.", look=look)
        if errors:
            raise errors[0]
        if len(runs) > 1:
            raise Fail(expected=f"{THREADS} simultaneous callers → 1 computation",
                       got=f"{len(runs)} computations",
                       hint="every caller that missed computed the value itself: on a miss, "
                            "only the caller that wins cache.add(<a lock key>) may compute; "
                            "add is atomic (SET NX), so exactly one caller wins.", look=look)
        wrong = [result for result in results if result != value]
        if wrong or len(runs) == 0:
            raise Fail(expected=f"all {THREADS} callers → {value!r}",
                       got=f"{len(wrong)} got {_short(wrong[0])}" if wrong else
                       "compute was never called",
                       hint="the callers that lost the lock returned before the value existed: "
                            "a loser must wait — poll the cache until the winner has stored "
                            "the value — and return that." if wrong else
                       "on a miss, someone must call compute() and cache its result.",
                       look=look)
        left = space.names() - {key}
        ttl = space.ttl(key)
        if not 0 < ttl <= 60:
            raise Fail(expected=f"the value cached under {key!r} with the timeout passed (60 s)",
                       got="not cached" if ttl == -2 else
                       "no expiry" if ttl == -1 else f"TTL {ttl} s",
                       hint="store the computed value with cache.set(key, value, timeout) — "
                            "the timeout the caller passed.", look=look)
        if left:
            raise Fail(expected=f"only {key!r} left in the cache once every caller is done",
                       got=f"also {sorted(left)}",
                       hint="release the lock when the computation ends — delete it in a "
                            "finally: block — or the next miss of this key waits for the "
                            "lock's timeout.", look=look)
        calls = len(runs)
        again = get_or_compute(key, lambda: runs.append(key) or value, 60)
        if len(runs) != calls or again != value:
            raise Fail(expected="a call with the value cached → the value, no computation",
                       got=f"computed again, returned {_short(again)}",
                       hint="read the cache first and return what is there.", look=look)
        # Two hot keys expire together: each is computed once, and neither waits for the other.
        pair = ["stampede:addis-stats", "stampede:gondar-stats"]
        runs, results, errors, stuck = _stampede(get_or_compute, pair, value)
        if errors:
            raise errors[0]
        per_key = {name: runs.count(name) for name in pair}
        if stuck or any(count != 1 for count in per_key.values()):
            raise Fail(expected=f"{THREADS} callers of two keys → each key computed once",
                       got=f"computations per key {per_key}"
                       + (f", {len(stuck)} callers still waiting" if stuck else ""),
                       hint="one key alone worked, two at once did not: the callers of one key "
                            "waited on the other key's lock. A lock guards one key: name it "
                            "after the key.", look=look)
        # An empty answer is still an answer worth caching.
        for name, empty in (("nothing-found", []), ("none", None)):
            empty_runs: list[int] = []
            for _ in range(2):
                get_or_compute(f"stampede:{name}",
                               lambda e=empty, r=empty_runs: r.append(1) or e, 60)
            if len(empty_runs) != 1:
                raise Fail(expected=f"compute() returning {empty!r} → computed once, then served "
                                    "from the cache",
                           got=f"computed {len(empty_runs)} times in 2 calls",
                           hint="an empty list (or 0) is a value too: tell a miss from a falsy "
                                "value with a sentinel default, cache.get(key, MISSING)."
                           if empty is not None else
                           "cache.get returns None both for a miss and for a cached None: "
                           "pass a default of your own (a sentinel) to tell them apart.",
                           look=look)
        # A computation that fails must not leave its lock behind.
        before = space.names()
        try:
            returned = get_or_compute("stampede:failing", _failing_compute, 60)
        except _ComputeFailed:
            pass
        else:
            raise Fail(expected="compute() raising → the same exception, out of get_or_compute",
                       got=f"returned {_short(returned)}",
                       hint="let compute()'s exception propagate: the caller must know the value "
                            "could not be computed (and nothing may be cached).", look=look)
        left = space.names() - before
        if left:
            raise Fail(expected="compute() raising → its lock released, nothing cached",
                       got=f"left behind: {sorted(left)}",
                       hint="when compute() raised, the lock stayed until its timeout, and "
                            "every caller of this key waits for it: release the lock in a "
                            "finally: block.", look=look)


class _ComputeFailed(Exception):
    """The database error a computation may raise, in the check's words."""


def _failing_compute() -> object:
    raise _ComputeFailed("the query failed (raised by the check on purpose)")
