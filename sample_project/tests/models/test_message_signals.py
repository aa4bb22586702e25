"""messaging/signals.py: what each receiver does, what no receiver sees, and how they are wired.

- ``pre_save``: an edit keeps the old content (``MessageHistory``) and sets ``edited``;
  ``QuerySet.update()`` sends no signal, so it keeps none — a documented limitation.
- ``post_save``: a new message notifies its receiver; the email is queued only on commit.
- ``post_delete`` of a user: CASCADE already deleted the rows; the receiver only forgets what
  the database can't reach (a Redis key).
- ``dispatch_uid``: the same receivers connected twice are still called once.
"""

from __future__ import annotations

import importlib.util

import pytest
from django.apps import apps
from django.core import serializers
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, pre_save
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from messaging import signals
from messaging.cache import _version, cached_unread_count, unread_count_key
from messaging.models import Message, MessageHistory, Notification
from messaging.services import message_edit
from testsupport.factories import MessageFactory, ReplyFactory, UserFactory, conversation

pytestmark = pytest.mark.django_db

TASK = "messaging.tasks.send_notification_email"


def edit(message: Message, content: str) -> None:
    """An edit as the API makes it: through the service, by the sender."""
    message_edit(message=message, editor=message.sender, content=content)


class TestEditHistory:
    def test_an_edit_keeps_the_old_content_and_marks_the_message(self):
        message = MessageFactory(content="Is there parking?")
        edit(message, "Is there parking for two cars?")
        edit(message, "Is there covered parking for two cars?")
        message.refresh_from_db()
        assert message.edited
        assert list(message.history.values_list("old_content", flat=True)) == [
            "Is there parking?", "Is there parking for two cars?"]

    def test_any_save_keeps_history_not_only_the_service(self):
        # The reason it is a receiver: a shell, the admin or a data fix goes through it too.
        message = MessageFactory(content="Before")
        message.content = "After"
        message.save()
        assert MessageHistory.objects.get(message=message).old_content == "Before"
        assert Message.objects.get(pk=message.pk).edited

    def test_saving_the_same_content_keeps_no_history(self):
        message = MessageFactory(content="Same")
        message.save()
        edit(message, "Same")
        assert not MessageHistory.objects.exists()
        assert not Message.objects.get(pk=message.pk).edited

    def test_a_new_message_has_no_history(self):
        assert not MessageHistory.objects.filter(message=MessageFactory()).exists()

    def test_update_sends_no_pre_save_so_it_keeps_no_history(self):
        # The documented limitation: QuerySet.update() writes SQL directly, calls no save()
        # and sends no signal. Content changed this way leaves no trace: go through
        # message_edit (or save()) for anything the history must show.
        message = MessageFactory(content="Original")
        Message.objects.filter(pk=message.pk).update(content="Rewritten")
        message.refresh_from_db()
        assert message.content == "Rewritten"
        assert (message.edited, message.history.count()) == (False, 0)

    def test_update_fields_without_edited_keeps_the_history_but_not_the_flag(self):
        # The receiver sets edited on the instance; a save with update_fields writes only the
        # fields it names. message_edit names both.
        message = MessageFactory(content="Before")
        message.content = "After"
        message.save(update_fields=["content"])
        assert MessageHistory.objects.get(message=message).old_content == "Before"
        assert not Message.objects.get(pk=message.pk).edited

    def test_a_save_that_leaves_content_out_costs_no_lookup(self, django_assert_num_queries):
        message = MessageFactory()
        message.read = True
        with django_assert_num_queries(1):  # the UPDATE; no read of the old content
            message.save(update_fields=["read"])

    def test_a_fixture_load_keeps_no_history_and_notifies_nobody(self):
        # loaddata saves with raw=True: the rows as the fixture has them, no receiver work.
        message = MessageFactory(content="Stored")
        notifications = Notification.objects.count()
        data = serializers.serialize("json", [message]).replace("Stored", "Loaded")
        for obj in serializers.deserialize("json", data):
            obj.save()
        assert Message.objects.get(pk=message.pk).content == "Loaded"
        assert not MessageHistory.objects.exists()
        assert Notification.objects.count() == notifications


class TestNotifications:
    def test_each_new_message_notifies_its_receiver_once(self):
        root, reply = conversation(1)
        assert [(n.user, n.message) for n in Notification.objects.order_by("id")] == [
            (root.receiver, root), (reply.receiver, reply)]
        edit(reply, "Edited answer")  # an edit is no new message
        assert Notification.objects.count() == 2

    def test_the_email_is_queued_only_after_the_commit(self, published,
                                                       django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            message = MessageFactory()
            notification = Notification.objects.get(message=message)
            assert published == [], "queued before the commit"
        assert published == [(TASK, [notification.pk])]

    def test_a_rolled_back_message_notifies_nobody(self, published,
                                                   django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            MessageFactory()
            transaction.set_rollback(True)
        assert published == []
        assert not Notification.objects.exists()

    def test_a_queryset_delete_does_send_post_delete_for_every_row(self):
        # Unlike update(): QuerySet.delete() fetches the rows (they have receivers) and sends
        # pre_delete and post_delete for each, cascaded rows included.
        deleted = []

        def record(sender, instance, **kwargs):
            deleted.append(instance.pk)

        root, reply = conversation(1)
        MessageFactory()  # not deleted
        post_delete.connect(record, sender=Message)
        try:
            Message.objects.filter(pk=root.pk).delete()  # its reply goes by CASCADE
        finally:
            post_delete.disconnect(record, sender=Message)
        assert sorted(deleted) == sorted([root.pk, reply.pk])

    def test_bulk_create_sends_no_post_save_so_nobody_is_notified(self):
        # What the seed command relies on, and what a bulk import must do by hand if it
        # wants notifications.
        template = MessageFactory.build(sender=UserFactory())
        template.listing.host.save()
        template.listing.save()
        Message.objects.bulk_create([template])
        assert not Notification.objects.exists()


class TestUserDeleted:
    def test_cascade_removes_every_row_that_points_to_the_user(self):
        guest = UserFactory()
        root, _ = conversation(1, sender=guest)  # guest → host, host → guest
        edit(root, "Edited")
        bystander = MessageFactory()  # between two other people
        guest.delete()
        assert list(Message.objects.all()) == [bystander]
        assert not MessageHistory.objects.exists()
        assert list(Notification.objects.values_list("message", flat=True)) == [bystander.pk]

    def test_the_receiver_adds_no_query_the_cascade_did_it(self):
        # Disconnected, the same deletion takes the same queries and removes the same rows:
        # the foreign keys did the clean-up, the receiver none of it.
        def delete_a_user_with_a_conversation() -> int:
            guest = UserFactory()
            conversation(2, sender=guest)
            with CaptureQueriesContext(connection) as queries:
                guest.delete()
            assert not Message.objects.filter(sender=guest.pk).exists()
            return len(queries)

        with_receiver = delete_a_user_with_a_conversation()
        assert post_delete.disconnect(sender=User, dispatch_uid="messaging-user-deleted")
        try:
            without_receiver = delete_a_user_with_a_conversation()
        finally:
            post_delete.connect(signals.user_deleted, sender=User,
                                dispatch_uid="messaging-user-deleted")
        assert with_receiver == without_receiver

    def test_the_receiver_forgets_the_users_redis_counter_after_the_commit(
            self, django_capture_on_commit_callbacks):
        guest = UserFactory()
        root, _ = conversation(1, sender=guest)  # the host's reply is unread
        assert cached_unread_count(user=guest) == 1
        counter, entry = _version(guest.pk).key, unread_count_key(guest.pk)
        assert cache.get(counter) is not None and cache.get(entry) == 1
        host = root.receiver
        with django_capture_on_commit_callbacks(execute=True):
            guest.delete()
            assert cache.get(counter) is not None, "forgotten before the commit"
        # Gone, and not re-created by the bumps the cascade's message deletions queued. (The
        # count cached under it expires on its own, like every count: UNREAD_COUNT_TTL.)
        assert cache.get(counter) is None
        # The other participant's badge is right: the guest's unread question went too.
        assert cached_unread_count(user=host) == 0


class TestWiring:
    def test_ready_connected_the_receivers(self):
        assert pre_save.has_listeners(Message)
        assert post_delete.has_listeners(User)

    def test_a_second_ready_connects_nothing_more(self):
        apps.get_app_config("messaging").ready()
        message = MessageFactory(content="One")
        edit(message, "Two")
        assert message.history.count() == 1

    def test_a_second_import_under_another_name_connects_nothing_more(self):
        # Executing signals.py again (as an import under a second module name would) makes new
        # function objects; dispatch_uid makes connect() recognise them all the same.
        again = _execute_again(signals.__file__)
        assert again.keep_edit_history is not signals.keep_edit_history
        message = MessageFactory(content="One")
        edit(message, "Two")
        assert message.history.count() == 1
        assert Notification.objects.filter(message=message).count() == 1

    def test_without_dispatch_uid_the_second_import_would_connect_again(self):
        # What @receiver(pre_save, sender=Message) with no dispatch_uid does on a second
        # import: connect() keys it by the new function's id, a new key, so it is added.
        again = _execute_again(signals.__file__)
        pre_save.connect(again.keep_edit_history, sender=Message)
        try:
            message = MessageFactory(content="One")
            edit(message, "Two")
        finally:
            pre_save.disconnect(again.keep_edit_history, sender=Message)
        assert list(message.history.values_list("old_content", flat=True)) == ["One", "One"]


def _execute_again(path: str):
    spec = importlib.util.spec_from_file_location("messaging_signals_imported_again", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_replies_are_notified_too():
    reply = ReplyFactory()
    assert Notification.objects.get(message=reply).user == reply.parent_message.sender
