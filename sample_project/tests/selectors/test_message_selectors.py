"""messaging.selectors: a thread in one query at any depth, an inbox in one query at any size,
and what ``.only()`` costs when a deferred field is touched anyway."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Message
from messaging.selectors import (
    message_unread_count,
    message_unread_list,
    thread_list,
    thread_tree,
)
from messaging.services import thread_mark_read
from testsupport.factories import (
    HostFactory,
    ListingFactory,
    MessageFactory,
    ReplyFactory,
    UserFactory,
    conversation,
)

pytestmark = pytest.mark.django_db


def depth(node: Message) -> int:
    """How many levels of replies hang under ``node``."""
    return 1 + max(map(depth, node.children)) if node.children else 0


class TestThreadTree:
    @pytest.mark.parametrize("replies", [1, 10])
    def test_a_thread_is_one_query_at_any_depth(self, django_assert_num_queries, replies):
        root = conversation(replies)[0]
        with django_assert_num_queries(1):
            tree = thread_tree(root=root)
            # Walking the whole tree and every sender costs nothing more.
            assert depth(tree) == replies
            walk, names = [tree], []
            while walk:
                node = walk.pop()
                names.append(node.sender.username)
                walk.extend(node.children)
        assert len(names) == replies + 1

    @pytest.mark.parametrize("replies", [1, 10])
    def test_the_naive_walk_costs_a_query_per_message(self, replies):
        # What the thread_root column saves: following parent_message level by level asks the
        # database once per message (its replies), however the rows are then used.
        root = conversation(replies)[0]

        def walk(message: Message) -> int:
            return 1 + sum(walk(reply) for reply in message.replies.all())

        with CaptureQueriesContext(connection) as queries:
            assert walk(root) == replies + 1
        assert len(queries) == replies + 1

    def test_branches_are_kept_and_ordered_oldest_first(self):
        root = MessageFactory()
        first = ReplyFactory(parent_message=root)
        second = ReplyFactory(parent_message=root, sender=root.sender, receiver=root.receiver)
        deeper = ReplyFactory(parent_message=first)
        MessageFactory()  # another thread: not in this one
        tree = thread_tree(root=root)
        assert [reply.pk for reply in tree.children] == [first.pk, second.pk]
        assert [reply.pk for reply in tree.children[0].children] == [deeper.pk]
        assert tree.children[1].children == []


class TestThreadList:
    def test_the_inbox_is_one_query_whatever_its_size(self, django_assert_num_queries):
        guest = UserFactory()
        for _ in range(5):
            conversation(2, sender=guest)
        with django_assert_num_queries(1):
            rows = [(row.listing.title, row.sender.username, row.receiver.username,
                     row.unread, row.reply_count) for row in thread_list(user=guest)]
        assert len(rows) == 5

    def test_a_deferred_field_read_later_costs_a_query_per_row(self):
        # The inbox loads no content (.only()). A serializer that showed a preview would read
        # message.content on each row: Django loads a deferred field when it is first read,
        # one query per instance — the N+1 that .only() invites.
        guest = UserFactory()
        for _ in range(4):
            MessageFactory(sender=guest)
        with CaptureQueriesContext(connection) as queries:
            rows = list(thread_list(user=guest))
            assert "content" in rows[0].get_deferred_fields()
            previews = [row.content[:20] for row in rows]
        assert len(previews) == 4
        assert len(queries) == 1 + 4  # the list, then one per row

    def test_newest_activity_first_with_counts_for_the_user(self):
        guest, host = UserFactory(), HostFactory()
        listing = ListingFactory(host=host)
        old = MessageFactory(sender=guest, listing=listing)
        new = MessageFactory(sender=guest, listing=listing)
        # A reply to the old thread makes it the most recent.
        reply = ReplyFactory(parent_message=old)
        Message.objects.filter(pk=reply.pk).update(timestamp=new.timestamp + timedelta(hours=1))
        MessageFactory()  # someone else's thread
        rows = list(thread_list(user=guest))
        assert [row.pk for row in rows] == [old.pk, new.pk]
        assert (rows[0].reply_count, rows[0].unread) == (1, 1)  # the host's reply
        assert (rows[1].reply_count, rows[1].unread) == (0, 0)  # the guest's own message
        assert rows[0].last_activity == new.timestamp + timedelta(hours=1)
        # The host's side of the same threads: the guest's two questions are unread.
        assert [(row.pk, row.unread) for row in thread_list(user=host)] == [(old.pk, 1),
                                                                           (new.pk, 1)]


class TestUnread:
    def test_unread_messages_are_the_users_own_newest_first_with_only_what_is_shown(self):
        guest = UserFactory()
        root, answer, _, later = conversation(3, sender=guest)
        MessageFactory()  # someone else's
        assert [m.pk for m in message_unread_list(user=guest)] == [later.pk, answer.pk]
        assert message_unread_count(user=guest) == 2
        # Message.unread.for_user(): listing, booking, edited and read are never loaded
        # (get_deferred_fields() names columns: listing_id for the foreign key listing).
        assert {"listing_id", "booking_id", "edited", "read"} <= \
            message_unread_list(user=guest)[0].get_deferred_fields()
        thread_mark_read(root=root, user=guest)
        assert message_unread_count(user=guest) == 0

    def test_the_default_manager_still_sees_read_messages(self):
        message = MessageFactory(read=True)
        assert Message._default_manager is Message.objects
        assert list(Message.objects.all()) == [message]
        assert not Message.unread.exists()
