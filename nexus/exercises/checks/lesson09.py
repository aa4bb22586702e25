"""Lesson 09 — asynchronous programming.

Every check runs the learner's coroutine function on an event loop of its own, in a separate
thread (the notebook's thread already runs the kernel's loop, and a loop can't be started inside a
running one). Next to it runs a **heartbeat**: a task that wakes every 10 ms and records how late
it was, so a check can tell an answer that awaits from one that blocks the loop. The upstream is
the course's :class:`~nexus.standins.slow_upstream.SlowUpstream`, which counts how many requests it
had in flight at once — concurrency measured by the server, not guessed from a stopwatch.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_09.py):

09.1 fetch_all — one request after another; all at once (no limit); answers in arrival order; a
     blocking HTTP library; a semaphore of a fixed size instead of ``limit`` (a second call with
     another limit); an AsyncClient never closed.
09.2 fetch_within — the clock checked after the answer; asyncio.wait without cancelling; the
     deadline taken as milliseconds; TimeoutError let out; an AsyncClient never closed; something
     other than None at the deadline.
09.3 city_summary — the sync ORM on the loop; inactive listings counted; titles not ordered by
     price; inactive listings among the cheapest (a committed inactive listing, the cheapest in
     town, is added for the check and removed); every title instead of three; listings instead
     of titles.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from nexus.exercises.checks.support import open_httpx_clients
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("09", "Asynchronous programming")
LOOK_GATHER = 'lesson 09, "3. Tasks and gather" and "6. Bounded concurrency"'
LOOK_TIMEOUT = 'lesson 09, "4. Timeouts and cancellation"'
LOOK_ORM = 'lesson 09, "8. Async Django views" (the async ORM and sync_to_async)'
#: A heartbeat later than this means something held the event loop.
BLOCKED = 0.12


@dataclass
class Run:
    """What happened when the learner's coroutine ran: its result, time, loop health."""

    result: object = None
    error: BaseException | None = None
    elapsed: float = 0.0
    worst_lag: float = 0.0  # the heartbeat's longest delay: the loop was blocked that long
    blocked: float = 0.0  # the heartbeat's delays of more than 30 ms, added up
    left_running: list[str] = field(default_factory=list)  # tasks still pending at return


def _is_coroutine_function(thing: object) -> bool:
    import inspect

    return inspect.iscoroutinefunction(thing)


def _waited_for_a_cpu() -> float:
    """Seconds this thread has spent ready to run but waiting for a CPU (Linux: the second field
    of ``/proc/self/task/<tid>/schedstat``, "time spent waiting on a runqueue"); 0 elsewhere."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _run(make: Callable[[], Awaitable[object]], *, timeout: float = 30) -> Run:
    """Run ``make()`` on a fresh event loop in another thread, with a heartbeat beside it.

    A late heartbeat means the loop was held, except for the time the loop's thread was ready
    but the machine had no CPU free for it (other programs' work, not the learner's code): on
    Linux that time is subtracted, so a busy laptop does not fail a correct answer.
    """
    run = Run()

    async def main() -> None:
        lags: list[float] = []

        async def heartbeat() -> None:
            while True:
                began, waited = time.perf_counter(), _waited_for_a_cpu()
                await asyncio.sleep(0.01)
                late = time.perf_counter() - began - 0.01
                lags.append(max(0.0, late - (_waited_for_a_cpu() - waited)))

        beating = asyncio.create_task(heartbeat())
        await asyncio.sleep(0)  # let it start
        began = time.perf_counter()
        try:
            run.result = await make()
        except Exception as exc:  # the learner's exception, reported by the check
            run.error = exc
        run.elapsed = time.perf_counter() - began
        # A coroutine that never awaited never let the heartbeat run: give it one more beat,
        # which then reports the whole time the loop was held.
        await asyncio.sleep(0.015)
        mine = {asyncio.current_task(), beating}
        run.left_running = [task.get_coro().__qualname__ for task in asyncio.all_tasks()
                            if task not in mine and not task.done()]
        beating.cancel()
        run.worst_lag = max(lags, default=0.0)
        run.blocked = sum(lag for lag in lags if lag > 0.03)

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="check-09") as pool:
        future = pool.submit(asyncio.run, main())
        try:
            future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise Fail(expected=f"the coroutine finishes within {timeout:.0f} s",
                       got="it was still running", hint="does it wait for something that never "
                       "comes? await each request once; don't loop forever.") from None
    return run


def _learner_error(run: Run) -> None:
    """Re-raise the learner's own exception: the harness reports it with its line."""
    if run.error is not None:
        raise run.error


def _needs_coroutine_function(thing: object, name: str, look: str) -> None:
    if not _is_coroutine_function(thing):
        raise Fail(expected=f"{name} defined with async def",
                   got=f"a plain function ({type(thing).__name__})",
                   hint="the event loop can only await coroutines: define it with `async def` "
                        "and `await` the slow calls inside.", look=look)


@contextlib.contextmanager
def _upstream(delay: float = 0.1) -> Iterator:
    from nexus import SlowUpstream

    with SlowUpstream(delay=delay) as upstream:
        yield upstream


# --- 09.1 -----------------------------------------------------------------------------------------
#: Earlier URLs are slower, so answers arrive in a different order than they were asked for.
DELAYS_MS = [160, 120, 80, 40] * 3
LIMIT = 4


@exercise("09.1", "fetch_all: gather with bounded concurrency")
def check_fetch_all(fetch_all) -> None:
    _needs_coroutine_function(fetch_all, "fetch_all", LOOK_GATHER)
    with _upstream() as upstream:
        urls = [upstream.url(f"/item/{i}?delay_ms={ms}") for i, ms in enumerate(DELAYS_MS)]
        with open_httpx_clients() as clients:
            run = _run(lambda: fetch_all(urls, limit=LIMIT))
        _learner_error(run)
        sequential = sum(DELAYS_MS) / 1000
        # Added up, not the worst beat: making an AsyncClient loads certificates synchronously,
        # which on a busy machine alone can hold the loop for a tenth of a second or more.
        if run.blocked > sequential / 2:
            raise Fail(expected="the event loop stays free while requests wait",
                       got=f"the loop was blocked for {run.blocked:.2f} s in all, up to "
                           f"{run.worst_lag:.2f} s at a time",
                       hint="a synchronous HTTP call (requests, urllib) inside async def blocks "
                            "the whole loop: use httpx.AsyncClient and await its get().",
                       look=LOOK_GATHER)
        expected = [{"path": f"/item/{i}", "delay_ms": ms} for i, ms in enumerate(DELAYS_MS)]
        if not isinstance(run.result, list) or len(run.result) != len(urls):
            raise Fail(expected=f"a list of {len(urls)} JSON answers",
                       got=f"{type(run.result).__name__}: {run.result!r}"[:200],
                       hint="return one item per URL: the decoded JSON of each response "
                            "(response.json()).", look=LOOK_GATHER)
        if sorted(map(repr, run.result)) == sorted(map(repr, expected)) and \
                run.result != expected:
            raise Fail(expected="the answers in the order of urls",
                       got="the same answers in the order they arrived",
                       hint="asyncio.gather returns results in the order of its arguments, "
                            "whenever each one finishes; collecting them as they complete "
                            "loses the order of urls.", look=LOOK_GATHER)
        if run.result != expected:
            raise Fail(expected=f"{expected[0]!r}, …", got=f"{run.result[0]!r}, …"[:200],
                       hint="return response.json() for each URL.", look=LOOK_GATHER)
        if upstream.peak <= 1:
            raise Fail(expected=f"up to {LIMIT} requests waiting at once",
                       got=f"one at a time: {run.elapsed:.2f} s for {len(urls)} requests "
                           f"(≈ the sum of their delays, {sequential:.2f} s)",
                       hint="an await inside a for loop waits for each response before sending "
                            "the next request: create all the coroutines, then await them "
                            "together with asyncio.gather.", look=LOOK_GATHER)
        if upstream.peak > LIMIT:
            raise Fail(expected=f"never more than limit={LIMIT} requests in flight",
                       got=f"the upstream had {upstream.peak} requests in flight at once",
                       hint="gather alone starts everything at once; guard each request with "
                            "an asyncio.Semaphore(limit) (async with semaphore: …).",
                       look=LOOK_GATHER)
        if run.elapsed > 0.8 * sequential:
            raise Fail(expected=f"well under the sequential {sequential:.2f} s",
                       got=f"{run.elapsed:.2f} s", hint="let the requests overlap: gather them.",
                       look=LOOK_GATHER)
        _all_closed(clients, LOOK_GATHER)
        upstream.reset()
        few = urls[:6]
        again = _run(lambda: fetch_all(few, limit=2))
        _learner_error(again)
        if again.result != expected[:6] or upstream.peak != 2:
            raise Fail(expected="fetch_all(6 urls, limit=2): at most 2 requests in flight, "
                                "and 2 at once",
                       got=f"the upstream had {upstream.peak} in flight at once",
                       hint="the limit is an argument: a semaphore of a size you chose fits one "
                            "call only. Size it with the limit you are given.",
                       look=LOOK_GATHER)


def _all_closed(clients: list, look: str) -> None:
    """Fail if an httpx.AsyncClient made during the call was left open."""
    left = [client for client in clients if not client.is_closed]
    if left:
        raise Fail(expected="every httpx.AsyncClient closed when the coroutine returns",
                   got=f"{len(left)} of {len(clients)} client(s) still open",
                   hint="a client holds a pool of connections until it is closed: open it with "
                        "`async with`, which closes it however the block ends.", look=look)


# --- 09.2 -----------------------------------------------------------------------------------------
@exercise("09.2", "fetch_within: a deadline that cancels")
def check_fetch_within(fetch_within) -> None:
    _needs_coroutine_function(fetch_within, "fetch_within", LOOK_TIMEOUT)
    with _upstream() as upstream:
        fast_url = upstream.url("/quick?delay_ms=50")
        fast = _run(lambda: fetch_within(fast_url, 1.0))
        if isinstance(fast.error, TimeoutError) or (fast.error is None and fast.result is None):
            raise Fail(expected="an answer that comes in time is returned (50 ms, deadline 1 s)",
                       got="None" if fast.error is None else "TimeoutError",
                       hint="a request that answers within the deadline must return its JSON; "
                            "check the deadline you give asyncio.timeout (it is in seconds).",
                       look=LOOK_TIMEOUT)
        _learner_error(fast)
        if fast.result != {"path": "/quick", "delay_ms": 50}:
            raise Fail(expected="{'path': '/quick', 'delay_ms': 50}",
                       got=f"{fast.result!r}"[:200], hint="return response.json().",
                       look=LOOK_TIMEOUT)
        slow_url = upstream.url("/stuck?delay_ms=1500")
        with open_httpx_clients() as clients:
            slow = _run(lambda: fetch_within(slow_url, 0.2))
        if isinstance(slow.error, TimeoutError):
            raise Fail(expected="None when the deadline passes",
                       got="TimeoutError escaped from fetch_within",
                       hint="the deadline passing is an expected outcome here, not an error: "
                            "catch TimeoutError around the `async with asyncio.timeout(...)` "
                            "block and return None.", look=LOOK_TIMEOUT)
        _learner_error(slow)
        if slow.elapsed > 0.8:
            raise Fail(expected="None after about 0.2 s (the deadline)",
                       got=f"{slow.result!r} after {slow.elapsed:.2f} s: the caller waited for "
                           "the whole 1.5 s response",
                       hint="measuring the time after the response arrived is too late: wrap "
                            "the await in `async with asyncio.timeout(seconds):` so the waiting "
                            "stops at the deadline.", look=LOOK_TIMEOUT)
        if slow.result is not None:
            raise Fail(expected="None when the deadline passes", got=f"{slow.result!r}"[:200],
                       hint="return None when asyncio.timeout raises TimeoutError.",
                       look=LOOK_TIMEOUT)
        if slow.left_running:
            raise Fail(expected="nothing left running once fetch_within returned",
                       got=f"still running: {', '.join(slow.left_running)}",
                       hint="you stopped waiting but the request still runs, holding a "
                            "connection: it must be cancelled. asyncio.timeout cancels what it "
                            "wraps; asyncio.wait(…, timeout=…) does not.", look=LOOK_TIMEOUT)
        _all_closed(clients, LOOK_TIMEOUT)


# --- 09.3 -----------------------------------------------------------------------------------------
def _expected_city_summary(city: str) -> dict:
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True)
    cheapest = active.order_by("price_per_night", "id").values_list("title", flat=True)[:3]
    return {"listings": active.count(), "cheapest": list(cheapest)}


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    """Django's async guard on, as on a server (the notebook switches it off for its cells)."""
    saved = os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@exercise("09.3", "city_summary: an async function over the async ORM")
def check_city_summary(city_summary) -> None:
    from django.core.exceptions import SynchronousOnlyOperation
    from django.db.models import Count

    from listings.models import Listing

    _needs_coroutine_function(city_summary, "city_summary", LOOK_ORM)
    # The two cities with the most listings, one of them with an inactive listing if any.
    cities = list(Listing.objects.values("city").annotate(n=Count("id"))
                  .order_by("-n", "city").values_list("city", flat=True)[:2])
    with_inactive = Listing.objects.filter(is_active=False).values_list("city", flat=True).first()
    if with_inactive and with_inactive not in cities:
        cities[-1] = with_inactive
    # Committed (the coroutine's queries run on another connection), and removed afterwards: an
    # inactive listing cheaper than anything in the first city.
    model = Listing.objects.filter(city=cities[0]).order_by("id").first()
    hidden = Listing.objects.create(host_id=model.host_id, title="Check 09.3 closed for repairs",
                                    city=cities[0], address="Check street", max_guests=2,
                                    price_per_night=1, is_active=False)
    try:
        for city in cities:
            expected = _expected_city_summary(city)
            with _guarded():
                run = _run(lambda city=city: city_summary(city))
            if isinstance(run.error, SynchronousOnlyOperation):
                raise Fail(expected="no synchronous ORM call inside the coroutine",
                           got="SynchronousOnlyOperation: Django refused a blocking query on the "
                               "event loop",
                           hint="inside async def, use the async ORM — acount(), aget(), "
                                "`async for` over a queryset — or wrap synchronous code in "
                                "sync_to_async. list(queryset) and .count() block.", look=LOOK_ORM)
            _learner_error(run)
            if run.worst_lag > BLOCKED:
                raise Fail(expected="the event loop stays free while the database works",
                           got=f"the loop was blocked for up to {run.worst_lag:.2f} s",
                           hint="something synchronous ran on the loop: await the async ORM "
                                "instead.", look=LOOK_ORM)
            got = run.result
            if not isinstance(got, dict) or set(got) != {"listings", "cheapest"}:
                raise Fail(expected="a dict with the keys 'listings' and 'cheapest'",
                           got=f"{got!r}"[:200], hint="return {'listings': …, 'cheapest': […]}.",
                           look=LOOK_ORM)
            if got["listings"] != expected["listings"]:
                raise Fail(expected=f"{expected['listings']} active listings in {city}",
                           got=f"{got['listings']!r}",
                           hint="count the active listings of the city only (is_active=True): "
                                "inactive ones are not in the catalogue.", look=LOOK_ORM)
            if got["cheapest"] != expected["cheapest"]:
                cheapest = list(got["cheapest"] or [])
                same = sorted(map(str, cheapest)) == sorted(expected["cheapest"])
                if not all(isinstance(title, str) for title in cheapest):
                    hint = "the cheapest are given by their titles (str), not as listings: " \
                           "ask the queryset for the title column."
                elif len(cheapest) > 3:
                    hint = f"{len(cheapest)} titles: only the first three are asked for — let " \
                           "the database stop there (a slice is a LIMIT)."
                elif hidden.title in cheapest:
                    hint = "an inactive listing is among your cheapest: it can't be booked, so " \
                           "the cheapest are taken from the active listings only."
                elif same:
                    hint = "the right titles in the wrong order: order by price_per_night " \
                           "(then id, so equal prices keep one order)."
                else:
                    hint = "take the active listings of the city, ordered by price_per_night " \
                           "then id, and their titles — the first three."
                raise Fail(expected=f"the 3 cheapest titles, cheapest first: "
                                    f"{expected['cheapest']}"[:200],
                           got=f"{cheapest!r}"[:200], hint=hint, look=LOOK_ORM)
    finally:
        hidden.delete()
