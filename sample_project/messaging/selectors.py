"""Reads for messaging (HackSoft style: querysets are built here, not in views).

Every read starts from ``Message.objects.for_participant(user)`` (or ``Message.unread``), so
no query can return someone else's correspondence.
"""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce

from accounts.models import User
from messaging.models import THREAD_LIST_FIELDS, Message, MessageHistory, Notification


def thread_list(*, user: User) -> QuerySet[Message]:
    """``user``'s inbox: the threads they are in, most recent activity first; one query.

    Each row is a thread's first message, with the sender, receiver and listing joined in,
    and three numbers computed in SQL: ``last_activity`` (the newest message's time),
    ``reply_count`` and ``unread`` (messages of the thread ``user`` has not read). Correlated
    subqueries rather than a JOIN and GROUP BY, as in ``listings.selectors``: the paginator's
    ``count()`` then leaves them out.

    ``.only(*THREAD_LIST_FIELDS)``: the inbox shows no message text, so ``content`` (the long
    column) is never read. Touching it on these rows anyway costs one query per row (see
    tests/selectors/test_message_selectors.py).
    """
    if not user.is_authenticated:
        return Message.objects.none()
    replies = Message.objects.filter(thread_root=OuterRef("pk")).order_by().values("thread_root")
    unread_replies = replies.filter(receiver=user, read=False)
    return (
        Message.objects.threads()
        .for_participant(user)
        .select_related("sender", "receiver", "listing")
        .only(*THREAD_LIST_FIELDS)
        .annotate(
            last_activity=Coalesce(
                Subquery(replies.annotate(last=Max("timestamp")).values("last")),
                F("timestamp"),
            ),
            reply_count=Coalesce(Subquery(replies.annotate(n=Count("pk")).values("n")), 0),
            unread=Coalesce(Subquery(unread_replies.annotate(n=Count("pk")).values("n")), 0)
            + Case(When(receiver=user, read=False, then=1), default=0,
                   output_field=IntegerField()),
        )
        .order_by("-last_activity", "-id")
    )


def thread_list_visible_to(*, user: User) -> QuerySet[Message]:
    """The threads (first messages) ``user`` may open: those they are a participant of."""
    return Message.objects.threads().for_participant(user)


def thread_tree(*, root: Message) -> Message:
    """The thread that starts with ``root``, as a tree: one query, whatever its depth.

    Every message of the thread carries ``thread_root``, so one indexed query returns them
    all, with their senders; the tree is then built in Python from their ``parent_message``
    ids, without another query. Each message gets a ``children`` list of its replies, oldest
    first. Returns the freshly read root.

    The naive way — ``message.replies.all()`` for every message, recursively — costs one
    query per message, so a thread's cost would grow with its size and depth.
    """
    messages = list(
        Message.objects.in_thread(root)
        # The receiver and the listing are the root's (a thread's page shows them).
        .select_related("sender", "receiver", "listing")
        .order_by("timestamp", "id")
    )
    by_id = {message.pk: message for message in messages}
    for message in messages:
        message.children = []
    for message in messages:
        parent = by_id.get(message.parent_message_id)
        if parent is not None:
            parent.children.append(message)
    return by_id[root.pk]


def message_list_visible_to(*, user: User) -> QuerySet[Message]:
    """Every message ``user`` sent or received (what they may look at, one by one)."""
    return Message.objects.for_participant(user).select_related("sender", "receiver")


def message_unread_list(*, user: User) -> QuerySet[Message]:
    """``user``'s unread messages, newest first, with only the columns the list shows."""
    return Message.unread.for_user(user)


def message_unread_count(*, user: User) -> int:
    """How many messages ``user`` has not read yet (one COUNT over a partial index)."""
    return Message.unread.filter(receiver=user).count()


def message_history_list(*, message: Message) -> QuerySet[MessageHistory]:
    """``message``'s earlier versions, oldest first."""
    return MessageHistory.objects.filter(message=message).order_by("edited_at", "id")


def notification_list(*, user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first, each with its message and sender joined in."""
    return (
        Notification.objects.filter(user=user)
        .select_related("message__sender")
        .order_by("-created_at", "-id")
    )
