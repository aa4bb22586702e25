"""wishlists.services, called directly: adding and removing, and the price-drop notification.

A price drop reaches wishlists through listings' ``listing_updated`` signal, sent by
``listing_update`` (a host's edit): the tests drive it from there, as the API does. ``on_commit``
callbacks are captured with pytest-django's ``django_capture_on_commit_callbacks``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from listings.services import listing_update
from testsupport.factories import ListingFactory, UserFactory, WishlistItemFactory
from wishlists import services
from wishlists.models import WishlistItem
from wishlists.services import (
    WishlistFullError,
    wishlist_add,
    wishlist_price_drop_send,
    wishlist_remove,
)

pytestmark = pytest.mark.django_db

TASK = "wishlists.tasks.send_price_drop_notice"


class TestWishlistAdd:
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


class TestWishlistRemove:
    def test_remove_is_idempotent_and_only_touches_your_own(self):
        mine = WishlistItemFactory()
        theirs = WishlistItemFactory(listing=mine.listing)
        assert wishlist_remove(user=mine.user, listing_id=mine.listing_id) is True
        assert wishlist_remove(user=mine.user, listing_id=mine.listing_id) is False
        assert list(WishlistItem.objects.all()) == [theirs]


class TestWishlistPriceDropNotify:
    def test_a_price_drop_queues_one_task_per_guest_with_ids_after_commit(
            self, published, django_capture_on_commit_callbacks):
        listing = ListingFactory(price_per_night=Decimal("1500.00"))
        items = WishlistItemFactory.create_batch(3, listing=listing)
        WishlistItemFactory(saved_price=Decimal("1500.00"))  # another listing's guest
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            listing_update(listing=listing, data={"price_per_night": Decimal("1400.00")})
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
            listing_update(listing=item.listing, data={"price_per_night": Decimal("100.00")})
            transaction.set_rollback(True)
        assert published == []


class TestWishlistPriceDropSend:
    def test_a_price_back_up_before_the_worker_runs_sends_nothing(self, sink):
        listing = ListingFactory(price_per_night=Decimal("1500.00"))
        saved = wishlist_add(user=UserFactory(first_name="Selam"), listing=listing)[0]
        saved.listing.price_per_night = Decimal("1000.00")
        assert wishlist_price_drop_send(item=saved) is False  # stored price still 1500
        assert sink.to(saved.user.email) == []
