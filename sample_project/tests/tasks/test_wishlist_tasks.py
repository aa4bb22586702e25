"""wishlists/tasks.py run by a real Celery worker: the price-drop email, over SMTP.

The worker is ``celery -A config worker`` (a subprocess the tests start) on the real broker,
pointed at pytest-django's test database and at an SMTP server of the tests' own. The rows
must be committed for the worker to see them: ``transaction=True``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery.signals import after_task_publish

from listings.services import listing_update
from testsupport.factories import ListingFactory, UserFactory
from wishlists.models import WishlistItem
from wishlists.services import wishlist_add
from wishlists.tasks import send_price_drop_notice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def saved():
    """A guest's wishlist item for a 1500 ETB listing, committed (the worker reads it)."""
    listing = ListingFactory(price_per_night=Decimal("1500.00"))
    return wishlist_add(user=UserFactory(first_name="Selam"), listing=listing)[0]


def reprice(listing, price: str) -> None:
    """A host's price edit, through the service (the path that notifies guests)."""
    listing_update(listing=listing, data={"price_per_night": Decimal(price)})


def test_a_drop_emails_the_guest_once(worker, sink, saved):
    reprice(saved.listing, "1200.00")
    worker.until(lambda: len(sink.to(saved.user.email)) == 1)
    mail = sink.to(saved.user.email)[0]
    assert mail.subject == f"Price drop: {saved.listing.title} is now 1200.00 ETB a night"
    assert "Hello Selam," in mail.body
    assert "1500.00 ETB a night, now costs 1200.00 ETB a night: 300.00 ETB less (20%)." \
        in mail.body
    assert mail.message["X-Nexus-Price-Drop"] == f"{saved.pk}:1200.00"
    # The task records the price in the transaction that sends the mail, so the row shows it
    # once that transaction commits, a moment after the mail is out: wait for it, don't read it.
    worker.until(lambda: WishlistItem.objects.get(pk=saved.pk).notified_price
                 == Decimal("1200.00"))


def test_two_drops_send_two_emails_and_a_replayed_drop_sends_none(worker, sink, saved):
    reprice(saved.listing, "1400.00")
    worker.until(lambda: len(sink.to(saved.user.email)) == 1)
    replays = [send_price_drop_notice.delay(saved.pk) for _ in range(3)]
    assert [result.get(timeout=15) for result in replays] == [False, False, False]
    reprice(saved.listing, "1300.00")
    worker.until(lambda: len(sink.to(saved.user.email)) == 2)
    assert send_price_drop_notice.delay(saved.pk).get(timeout=15) is False
    subjects = [mail.subject.rsplit(" is now ", 1)[1] for mail in sink.to(saved.user.email)]
    assert subjects == ["1400.00 ETB a night", "1300.00 ETB a night"]


def test_a_removed_item_is_no_error(worker, saved):
    saved.delete()
    assert send_price_drop_notice.delay(saved.pk).get(timeout=15) is False


@pytest.mark.slow
def test_smtp_down_retries_and_delivers_when_it_is_back(worker, sink, saved):
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
