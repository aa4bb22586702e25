"""Plausible wrong answers to the exercises of lesson 09, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import requests

# --- 09.1 fetch_all -------------------------------------------------------------------------------


async def fetch_one_after_another(urls, *, limit):
    # Looks asynchronous, but each await finishes before the next request starts.
    async with httpx.AsyncClient() as client:
        return [(await client.get(url)).json() for url in urls]


async def fetch_all_at_once(urls, *, limit):
    async with httpx.AsyncClient() as client:
        responses = await asyncio.gather(*(client.get(url) for url in urls))
    return [response.json() for response in responses]


async def fetch_as_completed(urls, *, limit):
    semaphore = asyncio.Semaphore(limit)
    async with httpx.AsyncClient() as client:
        async def fetch(url):
            async with semaphore:
                return (await client.get(url)).json()
        return [await done for done in asyncio.as_completed([fetch(url) for url in urls])]


async def fetch_with_requests(urls, *, limit):
    # requests inside async def: every call blocks the event loop.
    with requests.Session() as session:
        return [session.get(url, timeout=5).json() for url in urls]


# --- 09.2 fetch_within ----------------------------------------------------------------------------


async def fetch_then_check_the_clock(url, seconds):
    began = time.perf_counter()
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    if time.perf_counter() - began > seconds:
        return None
    return response.json()


async def fetch_wait_without_cancel(url, seconds):
    client = httpx.AsyncClient()
    request = asyncio.ensure_future(client.get(url))
    done, _ = await asyncio.wait({request}, timeout=seconds)
    if not done:
        return None  # stops waiting, but the request keeps running
    await client.aclose()
    return request.result().json()


async def fetch_within_milliseconds(url, seconds):
    async with httpx.AsyncClient() as client:
        try:
            async with asyncio.timeout(seconds / 1000):  # "timeouts are in ms"
                response = await client.get(url)
        except TimeoutError:
            return None
    return response.json()


async def fetch_letting_timeout_escape(url, seconds):
    async with httpx.AsyncClient() as client:
        async with asyncio.timeout(seconds):
            response = await client.get(url)
    return response.json()


# --- 09.3 city_summary ----------------------------------------------------------------------------


async def summary_with_the_sync_orm(city):
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True)
    cheapest = active.order_by("price_per_night", "id").values_list("title", flat=True)[:3]
    return {"listings": active.count(), "cheapest": list(cheapest)}


async def summary_counting_inactive(city):
    from listings.models import Listing

    listings = Listing.objects.filter(city=city)
    cheapest = listings.filter(is_active=True).order_by("price_per_night", "id")
    return {"listings": await listings.acount(),
            "cheapest": [title async for title in cheapest.values_list("title", flat=True)[:3]]}


async def summary_unordered(city):
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True)
    titles = [title async for title in active.values_list("title", flat=True)]
    return {"listings": len(titles), "cheapest": titles[:3]}


async def fetch_fixed_semaphore(urls, *, limit):
    semaphore = asyncio.Semaphore(4)  # "the check asks for 4"
    async with httpx.AsyncClient() as client:
        async def fetch(url):
            async with semaphore:
                return (await client.get(url)).json()
        return await asyncio.gather(*(fetch(url) for url in urls))


async def fetch_client_never_closed(urls, *, limit):
    semaphore = asyncio.Semaphore(limit)
    client = httpx.AsyncClient()

    async def fetch(url):
        async with semaphore:
            return (await client.get(url)).json()
    return await asyncio.gather(*(fetch(url) for url in urls))


async def fetch_within_client_left_open(url, seconds):
    client = httpx.AsyncClient()
    try:
        async with asyncio.timeout(seconds):
            response = await client.get(url)
    except TimeoutError:
        return None
    return response.json()


async def fetch_within_empty_answer(url, seconds):
    async with httpx.AsyncClient() as client:
        try:
            async with asyncio.timeout(seconds):
                response = await client.get(url)
        except TimeoutError:
            return {}  # "an empty answer"
    return response.json()


async def summary_cheapest_of_all(city):
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True)
    cheapest = Listing.objects.filter(city=city).order_by("price_per_night", "id")
    return {"listings": await active.acount(),
            "cheapest": [title async for title in cheapest.values_list("title", flat=True)[:3]]}


async def summary_every_title(city):
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True).order_by("price_per_night", "id")
    return {"listings": await active.acount(),
            "cheapest": [title async for title in active.values_list("title", flat=True)]}


async def summary_listings_not_titles(city):
    from listings.models import Listing

    active = Listing.objects.filter(city=city, is_active=True)
    cheapest = active.order_by("price_per_night", "id")[:3]
    return {"listings": await active.acount(), "cheapest": [x async for x in cheapest]}


WRONG_ANSWERS = {
    "09.1": [(fetch_one_after_another, "asyncio.gather"),
             (fetch_all_at_once, "asyncio.Semaphore(limit)"),
             (fetch_as_completed, "loses the order of urls"),
             (fetch_with_requests, "blocks the whole loop"),
             (fetch_fixed_semaphore, "the limit is an argument"),
             (fetch_client_never_closed, "open it with `async with`")],
    "09.2": [(fetch_then_check_the_clock, "stops at the deadline"),
             (fetch_wait_without_cancel, "it must be cancelled"),
             (fetch_within_milliseconds, "it is in seconds"),
             (fetch_letting_timeout_escape, "catch TimeoutError"),
             (fetch_within_client_left_open, "a client holds a pool of connections"),
             (fetch_within_empty_answer, "return None when asyncio.timeout raises")],
    "09.3": [(summary_cheapest_of_all, "an inactive listing is among your cheapest"),
             (summary_every_title, "only the first three are asked for"),
             (summary_listings_not_titles, "not as listings"),
             (summary_with_the_sync_orm, "use the async ORM"),
             (summary_counting_inactive, "is_active=True"),
             (summary_unordered, "by price_per_night")],
}
