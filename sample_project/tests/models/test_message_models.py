"""messaging.models: the rules PostgreSQL enforces on messages, the managers, CASCADE.

Rows are written with ``update()`` or ``bulk_create()``, which skip the services, so only the
database can stop a bad row here.
"""

from __future__ import annotations

import pytest
from django.db.models import F

from messaging.models import Message, Notification
from testsupport.assertions import violates
from testsupport.factories import (
    BookingFactory,
    ListingFactory,
    MessageFactory,
    ReplyFactory,
)

pytestmark = pytest.mark.django_db


def test_nobody_writes_to_themselves():
    message = MessageFactory()
    with violates("message_not_to_self"):
        Message.objects.filter(pk=message.pk).update(receiver=F("sender"))


def test_a_message_needs_content():
    message = MessageFactory()
    with violates("message_content_not_empty"):
        Message.objects.filter(pk=message.pk).update(content="")


@pytest.mark.parametrize("change", [
    {"listing": None},                     # a first message that says nothing of its subject
    {"thread_root_id": "self"},            # a first message in a thread, without a parent
])  # fmt: skip
def test_a_first_message_names_its_listing_and_nothing_else(change):
    message = MessageFactory()
    if change.get("thread_root_id") == "self":
        change = {"thread_root_id": message.pk}
    with violates("message_thread_shape"):
        Message.objects.filter(pk=message.pk).update(**change)


@pytest.mark.parametrize("field", ["listing", "booking", "thread_root"])
def test_a_reply_names_its_parent_and_thread_only(field):
    reply = ReplyFactory()
    value = {"listing": ListingFactory, "booking": BookingFactory}.get(field)
    change = {field: value()} if value else {"thread_root": None}
    with violates("message_thread_shape"):
        Message.objects.filter(pk=reply.pk).update(**change)


def test_one_notification_per_message():
    message = MessageFactory()  # notified by the post_save receiver
    with violates("notification_unique_per_message"):
        Notification.objects.bulk_create([Notification(user=message.receiver, message=message)])


def test_deleting_the_first_message_deletes_the_thread():
    reply = ReplyFactory(parent_message=ReplyFactory())
    root = reply.thread_root
    root.delete()
    assert not Message.objects.exists()


def test_deleting_a_listing_that_was_never_booked_ends_its_enquiries():
    message = MessageFactory()
    ReplyFactory(parent_message=message)
    message.listing.delete()
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_the_first_manager_is_the_default_one():
    MessageFactory(read=True)
    assert Message._meta.default_manager.name == "objects"
    assert Message.objects.count() == 1 and Message.unread.count() == 0


def test_thread_id_is_the_first_messages_id():
    reply = ReplyFactory(parent_message=ReplyFactory())
    root = reply.thread_root
    assert root.thread_id == root.pk
    assert reply.thread_id == reply.parent_message.thread_id == root.pk
