"""Wishlists end to end: the model's rules, the services, REST, the cache, GraphQL and the
price-drop email sent by a real Celery worker over SMTP.

Tests that a worker must see data from are ``transaction=True`` (committed rows, as in
production); the others run in a rolled-back transaction, where ``on_commit`` callbacks are
captured with pytest-django's ``django_capture_on_commit_callbacks``.
"""

from __future__ import annotations

from decimal import Decimal

import factory
import pytest
from celery.signals import after_task_publish
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from listings.services import listing_update
from testsupport.clients import bearer
from testsupport.factories import ListingFactory, UserFactory
from wishlists import services
from wishlists.models import WishlistItem
from wishlists.selectors import wishlist_items_to_notify, wishlist_list
from wishlists.services import (
    WishlistFullError,
    wishlist_add,
    wishlist_price_drop_send,
    wishlist_remove,
)
from wishlists.tasks import send_price_drop_notice

URL = "/api/wishlist/"
TASK = "wishlists.tasks.send_price_drop_notice"


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    user = factory.SubFactory(UserFactory)
    listing = factory.SubFactory(ListingFactory)
    saved_price = factory.SelfAttribute("listing.price_per_night")


def reprice(listing, price: str) -> None:
    """A host's price edit, through the service (the path that notifies guests)."""
    listing_update(listing=listing, data={"price_per_night": Decimal(price)})


# --- the model ------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestModel:
    def test_a_listing_is_saved_once_per_user(self):
        item = WishlistItemFactory()
        with pytest.raises(IntegrityError, match="wishlist_item_unique_per_user"):
            WishlistItem.objects.create(user=item.user, listing=item.listing, saved_price=1)

    def test_two_users_may_save_the_same_listing(self):
        item = WishlistItemFactory()
        WishlistItemFactory(listing=item.listing)
        assert item.listing.wishlist_items.count() == 2

    @pytest.mark.parametrize(("field", "constraint"), [
        ("saved_price", "wishlist_item_saved_price_positive"),
        ("notified_price", "wishlist_item_notified_price_positive"),
    ])
    def test_prices_are_positive(self, field, constraint):
        item = WishlistItemFactory()
        with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
            WishlistItem.objects.filter(pk=item.pk).update(**{field: Decimal("0")})


# --- services -------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestServices:
    def test_add_copies_the_price_and_is_idempotent(self):
        user, listing = UserFactory(), ListingFactory(price_per_night=Decimal("1500.00"))
        item, created = wishlist_add(user=user, listing=listing)
        assert created and item.saved_price == Decimal("1500.00")
        listing.price_per_night = Decimal("1800.00")  # the price moved; saving again…
        again, created_again = wishlist_add(user=user, listing=listing)
        assert (again.pk, created_again, again.saved_price) == (item.pk, False, Decimal("1500.00"))
        assert WishlistItem.objects.count() == 1

    def test_an_inactive_listing_cannot_be_saved(self):
        with pytest.raises(ValidationError, match="not available"):
            wishlist_add(user=UserFactory(), listing=ListingFactory(is_active=False))

    def test_a_full_wishlist_refuses_a_new_listing_but_not_one_it_holds(self, monkeypatch):
        monkeypatch.setattr(services, "WISHLIST_MAX_ITEMS", 2)
        user = UserFactory()
        held = [wishlist_add(user=user, listing=ListingFactory())[0] for _ in range(2)]
        with pytest.raises(WishlistFullError) as refused:
            wishlist_add(user=user, listing=ListingFactory())
        assert refused.value.code == "wishlist_full"
        assert wishlist_add(user=user, listing=held[0].listing) == (held[0], False)

    def test_remove_is_idempotent_and_only_touches_your_own(self):
        mine = WishlistItemFactory()
        theirs = WishlistItemFactory(listing=mine.listing)
        assert wishlist_remove(user=mine.user, listing_id=mine.listing_id) is True
        assert wishlist_remove(user=mine.user, listing_id=mine.listing_id) is False
        assert list(WishlistItem.objects.all()) == [theirs]

    def test_my_wishlist_is_one_query_whatever_its_length(self):
        user = UserFactory()
        WishlistItemFactory(user=user)
        with CaptureQueriesContext(connection) as one:
            [item.listing.title for item in wishlist_list(user=user)]
        WishlistItemFactory.create_batch(9, user=user)
        with CaptureQueriesContext(connection) as ten:
            titles = [item.listing.title for item in wishlist_list(user=user)]
        assert len(titles) == 10 and len(one) == len(ten) == 1

    def test_my_wishlist_hides_inactive_listings_and_shows_newest_first(self):
        user = UserFactory()
        first, second = WishlistItemFactory(user=user), WishlistItemFactory(user=user)
        WishlistItemFactory(user=user, listing=ListingFactory(is_active=False))
        WishlistItemFactory()  # someone else's
        assert list(wishlist_list(user=user)) == [second, first]


@pytest.mark.django_db
class TestWhoIsNotified:
    def test_guests_who_saved_it_above_the_new_price(self):
        listing = ListingFactory(price_per_night=Decimal("1500.00"))
        above = WishlistItemFactory(listing=listing, saved_price=Decimal("1600.00"))
        WishlistItemFactory(listing=listing, saved_price=Decimal("1500.00"))  # the same: no news
        WishlistItemFactory(listing=listing, saved_price=Decimal("1400.00"))  # cheaper then
        WishlistItemFactory(saved_price=Decimal("9000.00"))  # another listing
        told = WishlistItemFactory(listing=listing, saved_price=Decimal("2000.00"),
                                   notified_price=Decimal("1500.00"))  # already told of 1500
        lower = WishlistItemFactory(listing=listing, saved_price=Decimal("2000.00"),
                                    notified_price=Decimal("1700.00"))
        assert list(wishlist_items_to_notify(listing=listing)) == [above, lower]
        assert told not in wishlist_items_to_notify(listing=listing)

    def test_nobody_while_the_listing_is_inactive_or_without_an_address(self):
        listing = ListingFactory(price_per_night=Decimal("1000.00"), is_active=False)
        WishlistItemFactory(listing=listing, saved_price=Decimal("1500.00"))
        assert not wishlist_items_to_notify(listing=listing).exists()
        active = ListingFactory(price_per_night=Decimal("1000.00"))
        WishlistItemFactory(listing=active, saved_price=Decimal("1500.00"),
                            user=UserFactory(email=""))
        WishlistItemFactory(listing=active, saved_price=Decimal("1500.00"),
                            user=UserFactory(is_active=False))
        assert not wishlist_items_to_notify(listing=active).exists()

    def test_a_price_drop_queues_one_task_per_guest_with_ids_after_commit(
            self, published, django_capture_on_commit_callbacks):
        listing = ListingFactory(price_per_night=Decimal("1500.00"))
        items = WishlistItemFactory.create_batch(3, listing=listing)
        WishlistItemFactory(saved_price=Decimal("1500.00"))  # another listing's guest
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            reprice(listing, "1400.00")
            assert published == [], "queued before the commit"
        assert len(callbacks) >= 3
        assert sorted(published) == [(TASK, [item.pk]) for item in items]

    @pytest.mark.parametrize("change", [{"price_per_night": Decimal("1600.00")},
                                        {"title": "Renamed"}])
    def test_a_rise_or_another_field_queues_nothing(self, published, change,
                                                    django_capture_on_commit_callbacks):
        item = WishlistItemFactory()
        with django_capture_on_commit_callbacks(execute=True):
            listing_update(listing=item.listing, data=change)
        assert published == []

    def test_a_rolled_back_drop_queues_nothing(self, published,
                                               django_capture_on_commit_callbacks):
        item = WishlistItemFactory()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            reprice(item.listing, "100.00")
            transaction.set_rollback(True)
        assert published == []


# --- REST -----------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestRest:
    @pytest.mark.parametrize(("method", "path"), [("get", URL), ("post", URL),
                                                  ("delete", f"{URL}1/")])
    def test_anonymous_clients_get_401(self, api_client, method, path):
        assert getattr(api_client, method)(path).status_code == 401

    def test_save_list_remove(self, client_for):
        guest, listing = UserFactory(), ListingFactory(price_per_night=Decimal("1500.00"))
        client = client_for(guest)
        first = client.post(URL, {"listing": listing.pk}, format="json")
        assert first.status_code == 201
        assert first.data["listing"]["id"] == listing.pk
        assert (first.data["saved_price"], first.data["price_dropped"]) == ("1500.00", False)
        assert client.post(URL, {"listing": listing.pk}, format="json").status_code == 200
        assert [row["listing"]["id"] for row in client.get(URL).data] == [listing.pk]
        assert client.delete(f"{URL}{listing.pk}/").status_code == 204
        assert client.delete(f"{URL}{listing.pk}/").status_code == 204  # idempotent
        # (What the next GET shows is the cache's business: TestCache, with real commits.)
        assert not WishlistItem.objects.exists()

    @pytest.mark.parametrize("body", [{}, {"listing": "abc"}, {"listing": 987654321},
                                      {"listing": None}, {"listing": [1]}])
    def test_bad_input_is_a_400(self, client_for, body):
        response = client_for(UserFactory()).post(URL, body, format="json")
        assert response.status_code == 400 and "listing" in response.data

    def test_inactive_listings_are_refused(self, client_for, host):
        hidden = ListingFactory(is_active=False)  # another host's: invisible, like a wrong id
        response = client_for(UserFactory()).post(URL, {"listing": hidden.pk}, format="json")
        assert response.status_code == 400 and "does not exist" in str(response.data)
        own = ListingFactory(host=host, is_active=False)  # visible to its host, still refused
        response = client_for(host).post(URL, {"listing": own.pk}, format="json")
        assert response.status_code == 400 and "not available" in str(response.data)

    def test_a_full_wishlist_is_a_409(self, client_for, monkeypatch):
        monkeypatch.setattr(services, "WISHLIST_MAX_ITEMS", 1)
        client = client_for(UserFactory())
        client.post(URL, {"listing": ListingFactory().pk}, format="json")
        response = client.post(URL, {"listing": ListingFactory().pk}, format="json")
        assert response.status_code == 409 and response.data["code"] == "wishlist_full"

    def test_you_only_ever_see_and_change_your_own(self, client_for):
        mine, theirs = WishlistItemFactory(), WishlistItemFactory()
        client = client_for(mine.user)
        assert [row["listing"]["id"] for row in client.get(URL).data] == [mine.listing_id]
        assert client.delete(f"{URL}{theirs.listing_id}/").status_code == 204
        assert WishlistItem.objects.filter(pk=theirs.pk).exists()

    def test_a_non_numeric_id_is_a_404(self, client_for):
        assert client_for(UserFactory()).delete(f"{URL}abc/").status_code == 404


# --- the cache ------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)  # invalidation runs on commit
class TestCache:
    def queries(self, client) -> tuple[list, int]:
        with CaptureQueriesContext(connection) as captured:
            data = client.get(URL).data
        return data, len(captured)

    def test_a_repeat_request_skips_the_wishlist_query(self, client_for):
        item = WishlistItemFactory()
        client = client_for(item.user)
        cold, cold_queries = self.queries(client)
        warm, warm_queries = self.queries(client)
        assert warm == cold and warm_queries == cold_queries - 1  # only the user lookup remains

    def test_add_remove_and_a_price_change_show_on_the_next_request(self, client_for):
        item = WishlistItemFactory(listing=ListingFactory(price_per_night=Decimal("1500.00")))
        client = client_for(item.user)
        assert len(client.get(URL).data) == 1
        other = ListingFactory()
        client.post(URL, {"listing": other.pk}, format="json")
        assert [row["listing"]["id"] for row in client.get(URL).data] == [other.pk, item.listing_id]
        client.delete(f"{URL}{other.pk}/")
        assert [row["listing"]["id"] for row in client.get(URL).data] == [item.listing_id]
        reprice(item.listing, "1200.00")
        [row] = client.get(URL).data
        assert (row["listing"]["price_per_night"], row["price_dropped"]) == ("1200.00", True)

    def test_one_users_entry_is_never_served_to_another(self, client_for):
        mine, theirs = WishlistItemFactory(), WishlistItemFactory()
        assert [r["listing"]["id"] for r in client_for(mine.user).get(URL).data] == [
            mine.listing_id]
        assert [r["listing"]["id"] for r in client_for(theirs.user).get(URL).data] == [
            theirs.listing_id]


# --- GraphQL --------------------------------------------------------------------------------------
MY_WISHLIST = """{ myWishlist { savedPrice priceDropped
                               listing { id title pricePerNight host { username } } } }"""
SAVE = "mutation Save($id: ID!) { saveToWishlist(listingId: $id) { savedPrice listing { id } } }"
REMOVE = "mutation Remove($id: ID!) { removeFromWishlist(listingId: $id) }"


def graphql(query, variables=None, *, user=None):
    headers = {"HTTP_AUTHORIZATION": bearer(user)} if user else {}
    response = Client().post("/graphql", {"query": query, "variables": variables or {}},
                             content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
class TestGraphQL:
    def test_my_wishlist_costs_the_same_queries_for_one_item_or_ten(self):
        user = UserFactory()
        WishlistItemFactory(user=user)
        with CaptureQueriesContext(connection) as one:
            assert len(graphql(MY_WISHLIST, user=user)["data"]["myWishlist"]) == 1
        WishlistItemFactory.create_batch(9, user=user)
        with CaptureQueriesContext(connection) as ten:
            assert len(graphql(MY_WISHLIST, user=user)["data"]["myWishlist"]) == 10
        assert len(one) == len(ten)

    def test_save_is_idempotent_and_remove_answers_whether_it_was_there(self):
        user, listing = UserFactory(), ListingFactory(price_per_night=Decimal("1500.00"))
        saved = graphql(SAVE, {"id": str(listing.pk)}, user=user)["data"]["saveToWishlist"]
        assert saved == {"savedPrice": "1500.00", "listing": {"id": str(listing.pk)}}
        assert graphql(SAVE, {"id": str(listing.pk)}, user=user)["data"]["saveToWishlist"] == saved
        assert WishlistItem.objects.filter(user=user).count() == 1
        assert graphql(REMOVE, {"id": str(listing.pk)}, user=user)["data"] == {
            "removeFromWishlist": True}
        assert graphql(REMOVE, {"id": str(listing.pk)}, user=user)["data"] == {
            "removeFromWishlist": False}

    @pytest.mark.parametrize("query", [MY_WISHLIST, SAVE, REMOVE])
    def test_anonymous_is_not_authenticated(self, query):
        [error] = graphql(query, {"id": "1"})["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"

    @pytest.mark.parametrize("listing_id", ["987654321", "abc"])
    def test_an_unknown_listing_is_refused_like_in_rest(self, listing_id):
        [error] = graphql(SAVE, {"id": listing_id}, user=UserFactory())["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "does not exist" in error["message"]


# --- the price-drop email, sent by a real worker --------------------------------------------------
@pytest.fixture
def saved():
    """A guest's wishlist item for a 1500 ETB listing, committed (the worker reads it)."""
    listing = ListingFactory(price_per_night=Decimal("1500.00"))
    return wishlist_add(user=UserFactory(first_name="Selam"), listing=listing)[0]


@pytest.mark.django_db(transaction=True)
class TestPriceDropEmail:
    def test_a_drop_emails_the_guest_once(self, worker, sink, saved):
        reprice(saved.listing, "1200.00")
        worker.until(lambda: len(sink.to(saved.user.email)) == 1)
        mail = sink.to(saved.user.email)[0]
        assert mail.subject == f"Price drop: {saved.listing.title} is now 1200.00 ETB a night"
        assert "Hello Selam," in mail.body
        assert "1500.00 ETB a night, now costs 1200.00 ETB a night: 300.00 ETB less (20%)." \
            in mail.body
        assert mail.message["X-Nexus-Price-Drop"] == f"{saved.pk}:1200.00"
        saved.refresh_from_db()
        assert saved.notified_price == Decimal("1200.00")

    def test_two_drops_send_two_emails_and_a_replayed_drop_sends_none(self, worker, sink, saved):
        reprice(saved.listing, "1400.00")
        worker.until(lambda: len(sink.to(saved.user.email)) == 1)
        replays = [send_price_drop_notice.delay(saved.pk) for _ in range(3)]
        assert [result.get(timeout=15) for result in replays] == [False, False, False]
        reprice(saved.listing, "1300.00")
        worker.until(lambda: len(sink.to(saved.user.email)) == 2)
        assert send_price_drop_notice.delay(saved.pk).get(timeout=15) is False
        subjects = [mail.subject.rsplit(" is now ", 1)[1] for mail in sink.to(saved.user.email)]
        assert subjects == ["1400.00 ETB a night", "1300.00 ETB a night"]

    def test_a_price_back_up_before_the_worker_runs_sends_nothing(self, sink, saved):
        saved.listing.price_per_night = Decimal("1000.00")
        assert wishlist_price_drop_send(item=saved) is False  # stored price still 1500
        assert sink.to(saved.user.email) == []

    def test_a_removed_item_is_no_error(self, worker, saved):
        saved.delete()
        assert send_price_drop_notice.delay(saved.pk).get(timeout=15) is False

    @pytest.mark.slow
    def test_smtp_down_retries_and_delivers_when_it_is_back(self, worker, sink, saved):
        sink.stop()
        try:
            with CaptureOnePublish() as sent:
                reprice(saved.listing, "1100.00")
            task_id = sent.task_ids[0]
            worker.until(lambda: "retry" in [e.event for e in worker.history(task_id)])
        finally:
            sink.start()
        worker.until(lambda: len(sink.to(saved.user.email)) == 1, timeout=20)
        retry = next(e.detail for e in worker.history(task_id) if e.event == "retry")
        assert retry.startswith("Retry in 1s: ConnectionRefusedError")


class CaptureOnePublish:
    """Record the ids of the task messages published inside the ``with`` block."""

    def __enter__(self):
        self.task_ids: list[str] = []
        after_task_publish.connect(self._record, weak=False)
        return self

    def _record(self, sender=None, headers=None, **kwargs):
        self.task_ids.append(headers["id"])

    def __exit__(self, *exc):
        after_task_publish.disconnect(self._record)
