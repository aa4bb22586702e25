"""Caching of the listings API against a real Redis: hits, invalidation, pitfalls, outages.

Invalidation runs on commit, so the tests that write use ``transaction=True``: each request
commits for real, as in production (inside the usual test transaction nothing ever commits
and ``on_commit`` callbacks never run).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache, caches
from django.db import transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from bookings.services import booking_expire_unpaid
from bookings.tasks import expire_unpaid_bookings
from listings import cache as listings_cache
from listings.models import Listing
from listings.selectors import listing_city_stats
from listings.services import listing_update
from testsupport.clients import bearer
from testsupport.factories import BookingFactory, ListingFactory, ReviewFactory

LIST_URL = "/api/listings/"


def detail_url(listing_id: int) -> str:
    return f"/api/listings/{listing_id}/"


def queries_for(request):
    """Run ``request()``; return its response and the number of SQL queries it sent."""
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        response = request()
    return response, len(captured.captured_queries)


# --- hits and misses -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_repeated_read_is_served_from_redis_without_sql(api_client):
    ListingFactory.create_batch(3)
    first, cold = queries_for(lambda: api_client.get(LIST_URL))
    second, warm = queries_for(lambda: api_client.get(LIST_URL))
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert cold >= 2 and warm == 0
    # The copy lives in Redis; browsers are told to ask again every time.
    assert "no-cache" in second["Cache-Control"]


@pytest.mark.django_db
def test_responses_vary_on_credentials(api_client, client_for):
    hidden = ListingFactory(is_active=False, title="Closed for the rainy season")
    ListingFactory()
    owner = client_for(hidden.host)

    anonymous = api_client.get(LIST_URL).json()
    as_host = owner.get(LIST_URL).json()
    anonymous_again = api_client.get(LIST_URL).json()

    assert anonymous["count"] == anonymous_again["count"] == 1
    assert as_host["count"] == 2  # the host's own inactive listing: not in anyone else's page
    assert api_client.get(detail_url(hidden.pk)).status_code == 404
    assert owner.get(detail_url(hidden.pk)).status_code == 200


@pytest.mark.django_db
def test_city_stats_are_computed_once_per_generation(django_assert_num_queries):
    ListingFactory.create_batch(2, city="gondar", price_per_night=Decimal("1000"))
    with django_assert_num_queries(1):
        first = listing_city_stats()
    with django_assert_num_queries(0):
        assert listing_city_stats() == first
    assert first == [{"city": "gondar", "listings": 2, "average_price": Decimal("1000.00"),
                      "lowest_price": Decimal("1000.00")}]
    listings_cache.bump_generation()
    with django_assert_num_queries(1):
        listing_city_stats()


@pytest.mark.django_db
def test_cards_are_cached_per_listing_and_shared_between_pages(api_client):
    listings = ListingFactory.create_batch(3)
    api_client.get(LIST_URL, {"page_size": 2})
    prefix = listings_cache.listings_key("card")
    cached = cache.get_many([f"{prefix}:{listing.pk}" for listing in listings])
    assert sorted(cached) == [f"{prefix}:{listing.pk}" for listing in listings[:2]]
    assert cached[f"{prefix}:{listings[0].pk}"]["title"] == listings[0].title


# --- invalidation --------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_update_through_the_api_is_visible_on_the_next_request(api_client):
    listing = ListingFactory(price_per_night=Decimal("1500.00"))
    assert api_client.get(detail_url(listing.pk)).json()["price_per_night"] == "1500.00"
    assert api_client.get(LIST_URL).json()["results"][0]["price_per_night"] == "1500.00"

    owner = api_client.__class__()
    owner.credentials(HTTP_AUTHORIZATION=bearer(listing.host))
    assert owner.patch(detail_url(listing.pk), {"price_per_night": "2100.00"},
                       format="json").status_code == 200

    assert api_client.get(detail_url(listing.pk)).json()["price_per_night"] == "2100.00"
    assert api_client.get(LIST_URL).json()["results"][0]["price_per_night"] == "2100.00"


@pytest.mark.django_db(transaction=True)
def test_a_delete_through_the_api_is_visible_on_the_next_request(api_client, client_for):
    kept, gone = ListingFactory(), ListingFactory()
    assert api_client.get(LIST_URL).json()["count"] == 2
    assert client_for(gone.host).delete(detail_url(gone.pk)).status_code == 204
    body = api_client.get(LIST_URL).json()
    assert [item["id"] for item in body["results"]] == [kept.pk]
    assert api_client.get(detail_url(gone.pk)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_new_review_and_a_new_booking_invalidate_too(api_client):
    listing = ListingFactory()
    dates = {"check_in": "2030-03-01", "check_out": "2030-03-04"}
    assert api_client.get(LIST_URL, dates).json()["count"] == 1
    assert api_client.get(detail_url(listing.pk)).json()["review_count"] == 0

    BookingFactory(listing=listing)  # those nights are taken now
    ReviewFactory(booking__listing=listing, booking__check_in=date(2029, 1, 1))

    assert api_client.get(LIST_URL, dates).json()["count"] == 0
    assert api_client.get(detail_url(listing.pk)).json()["review_count"] == 1


@pytest.mark.django_db(transaction=True)
def test_queryset_update_sends_no_signal_but_the_service_invalidates(api_client):
    """The documented pitfall: ``QuerySet.update()`` skips save() and its signals."""
    listing = ListingFactory(title="Old title")
    assert api_client.get(detail_url(listing.pk)).json()["title"] == "Old title"

    Listing.objects.filter(pk=listing.pk).update(title="Changed behind the cache's back")
    assert api_client.get(detail_url(listing.pk)).json()["title"] == "Old title"  # stale

    listing.refresh_from_db()
    listing_update(listing=listing, data={"title": "Changed by the service"})
    assert api_client.get(detail_url(listing.pk)).json()["title"] == "Changed by the service"


@pytest.mark.django_db(transaction=True)
def test_invalidation_waits_for_the_commit_and_skips_a_rollback():
    listing = ListingFactory()
    before = listings_cache.generation()
    with transaction.atomic():
        listing_update(listing=listing, data={"title": "Inside the transaction"})
        assert listings_cache.generation() == before  # not yet: nothing is committed
    assert listings_cache.generation() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        listing_update(listing=listing, data={"title": "Rolled back"})
        raise RuntimeError("abort")
    assert listings_cache.generation() == before + 1
    # The bump the rollback discarded does not stand in for the next transaction's.
    listing_update(listing=listing, data={"title": "Committed after the rollback"})
    assert listings_cache.generation() == before + 2


@pytest.mark.django_db(transaction=True)
def test_a_bulk_delete_bumps_the_generation_once():
    ListingFactory.create_batch(5)
    before = listings_cache.generation()
    with transaction.atomic():
        Listing.objects.all().delete()  # five post_delete signals
    assert listings_cache.generation() == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_keeps_the_bump_of_the_writes_around_it():
    listing = ListingFactory()
    before = listings_cache.generation()
    with transaction.atomic():
        listing_update(listing=listing, data={"title": "Kept"})
        with pytest.raises(RuntimeError), transaction.atomic():
            listing_update(listing=listing, data={"title": "Rolled back"})
            raise RuntimeError("abort the savepoint")
    assert listings_cache.generation() == before + 1


# --- write paths that send no signal: each invalidates itself ------------------------------------
def unpaid_booking_searched_for(api_client) -> tuple[Booking, dict[str, str]]:
    """A pending booking an hour old, and the search for its dates: cached, without its listing."""
    booking = BookingFactory(status=BookingStatus.PENDING)
    Booking.objects.filter(pk=booking.pk).update(created_at=timezone.now() - timedelta(hours=1))
    dates = {"check_in": booking.check_in.isoformat(), "check_out": booking.check_out.isoformat()}
    assert api_client.get(LIST_URL, dates).json()["count"] == 0  # taken, and now cached
    return booking, dates


@pytest.mark.django_db(transaction=True)
def test_expiring_unpaid_bookings_frees_their_nights_in_the_cached_search(api_client):
    """booking_expire_unpaid is one UPDATE (no signal): it must invalidate the search itself."""
    booking, dates = unpaid_booking_searched_for(api_client)

    assert booking_expire_unpaid(older_than=timedelta(minutes=30)) == 1

    found = api_client.get(LIST_URL, dates).json()
    assert [item["id"] for item in found["results"]] == [booking.listing_id]


@pytest.mark.django_db(transaction=True)
def test_the_expiry_task_frees_the_nights_in_the_cached_search(api_client, worker):
    """The same write path, the way beat runs it: a real worker, then the next request."""
    _, dates = unpaid_booking_searched_for(api_client)

    assert expire_unpaid_bookings.delay().get(timeout=15) == 1

    assert api_client.get(LIST_URL, dates).json()["count"] == 1


# --- stampede ------------------------------------------------------------------------------------
@pytest.mark.parametrize("threads", [8])
def test_get_or_compute_lets_one_of_many_concurrent_callers_compute(threads):
    key = listings_cache.listings_key("stampede-test")
    computed = []
    barrier = threading.Barrier(threads)
    results = []

    def slow_compute():
        computed.append(1)
        time.sleep(0.2)
        return "fresh"

    def worker():
        barrier.wait()
        results.append(listings_cache.get_or_compute(key, slow_compute, timeout=30))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=10)
    assert results == ["fresh"] * threads
    assert len(computed) == 1
    cache.delete(key)


# --- Redis down ----------------------------------------------------------------------------------
@pytest.fixture
def cache_on(private_redis, settings):
    """The project's cache settings, pointed at the private Redis."""
    config = dict(settings.CACHES["default"], LOCATION=private_redis.url(1))
    with override_settings(CACHES={"default": config}):
        yield caches["default"]


@pytest.mark.django_db
def test_redis_down_the_api_answers_from_the_database_then_recovers(
        api_client, private_redis, cache_on, caplog):
    listing = ListingFactory(title="Still here")
    caplog.set_level(logging.WARNING, logger="config.cache")

    assert api_client.get(LIST_URL).status_code == 200
    _, warm = queries_for(lambda: api_client.get(LIST_URL))
    assert warm == 0

    private_redis.stop()
    began = time.monotonic()
    for _ in range(3):
        response, queries = queries_for(lambda: api_client.get(LIST_URL))
        assert response.status_code == 200  # throttling failed open too
        assert response.json()["results"][0]["title"] == "Still here"
        assert queries >= 2  # answered from the database
    assert api_client.get(detail_url(listing.pk)).status_code == 200
    assert time.monotonic() - began < 2  # a dead Redis costs milliseconds, not timeouts
    warnings = [r.getMessage() for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1 and warnings[0].startswith("Cache unavailable (ConnectionError")

    private_redis.start()
    assert api_client.get(LIST_URL).status_code == 200  # a miss: the restarted cache is empty
    _, warm = queries_for(lambda: api_client.get(LIST_URL))
    assert warm == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "config.cache"]
    assert messages[-1].startswith("Cache reachable again after")


def test_the_backend_fails_open_on_every_operation(private_redis, cache_on):
    private_redis.stop()
    assert cache_on.get("k", "default") == "default"
    assert cache_on.get_many(["a", "b"]) == {}
    assert cache_on.add("k", 1) is False and cache_on.has_key("k") is False
    assert cache_on.set("k", 1) is None and cache_on.set_many({"a": 1}) == ["a"]
    assert cache_on.delete("k") is False and cache_on.touch("k") is False
    assert cache_on.get_or_set("k", 5) == 5
    with pytest.raises(ValueError):
        cache_on.incr("counter")
    private_redis.start()


def test_other_redis_errors_still_raise(private_redis, cache_on):
    from redis.exceptions import ResponseError

    cache_on.set("not-a-number", "text")
    with pytest.raises(ResponseError):
        cache_on.incr("not-a-number")
