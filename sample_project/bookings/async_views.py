"""Async views: plain Django ``async def`` views (DRF's views are synchronous).

The one here answers "can this listing be booked for these nights?" — a question about
bookings, so it lives in the bookings app, although its URL is under ``/api/listings/``
(``config/api_router.py``).

Under an ASGI server (uvicorn, daphne) an async view runs on the server's event loop, and while
it awaits the database, the loop serves other requests. Under a WSGI server (gunicorn's sync
workers, runserver) Django still runs it correctly — in a fresh event loop per request, through
``async_to_sync`` — but gains nothing from being async there. Lesson 09 shows both.

The rule inside an async view: never call blocking code directly. The ORM has ``a``-prefixed
methods (``aget``, ``acount``, ``aexists``…) and ``async for``; anything else synchronous goes
through ``sync_to_async``.
"""

from datetime import date

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.shortcuts import aget_object_or_404
from django.views.decorators.http import require_GET

from bookings.selectors import booking_list_overlapping
from listings.cache import listing_cards
from listings.selectors import listing_list


def _stay_from(params) -> tuple[date, date] | dict[str, str]:
    """The ``check_in``/``check_out`` query parameters as dates, or the errors per parameter."""
    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for name in ("check_in", "check_out"):
        try:
            dates[name] = date.fromisoformat(params.get(name, ""))
        except ValueError:
            errors[name] = "Required, as YYYY-MM-DD."
    if not errors and dates["check_out"] <= dates["check_in"]:
        errors["check_out"] = "Check-out must be after check-in."
    return errors or (dates["check_in"], dates["check_out"])


@require_GET
async def listing_availability(request: HttpRequest, pk: int) -> JsonResponse:
    """``GET /api/listings/<pk>/availability/?check_in=…&check_out=…``: can these nights be booked?

    Answers with the listing's card, the number of nights, the price and the active bookings
    that collide with the stay (their dates only: who booked is nobody else's business).
    """
    stay = _stay_from(request.GET)
    if isinstance(stay, dict):
        return JsonResponse(stay, status=400)
    check_in, check_out = stay
    # The async ORM: one awaited query, the catalogue's (active listings, rating summary).
    listing = await aget_object_or_404(listing_list(), pk=pk)
    # Async iteration: rows arrive without blocking the event loop. The bookings that take a
    # night of the stay: the selector the availability search uses, so both apply the same
    # half-open overlap rule as the database's exclusion constraint.
    conflicts = [
        {"check_in": booked["check_in"].isoformat(), "check_out": booked["check_out"].isoformat()}
        async for booked in booking_list_overlapping(
            listing=listing, check_in=check_in, check_out=check_out,
        ).order_by("check_in").values("check_in", "check_out")
    ]
    # listing_cards is synchronous (the Redis cache client is), so it runs in a worker
    # thread; calling it directly here would block every other request on the loop while it
    # waits for Redis.
    card = (await sync_to_async(listing_cards)([listing]))[0]
    nights = (check_out - check_in).days
    return JsonResponse({
        "listing": card,
        "check_in": check_in.isoformat(),
        "check_out": check_out.isoformat(),
        "nights": nights,
        "available": not conflicts,
        "total_price": str(listing.price_per_night * nights),
        "conflicts": conflicts,
    })
