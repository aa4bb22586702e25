"""Messaging: guests and hosts writing to each other about a listing or a booking.

A conversation is a **thread**: its first message names what it is about (a listing, and the
booking when it is about a stay) and every other message is a reply to a message of the same
thread (``parent_message``, a foreign key to the same table). A thread has two participants,
the guest and the host, and only they may read it.

Three models:

* ``Message`` — one message, with ``edited`` (its content was changed) and ``read`` (its
  receiver has seen it). Its managers: ``Message.objects`` (every message, with the
  ``MessageQuerySet`` methods) and ``Message.unread`` (``UnreadMessagesManager``).
* ``MessageHistory`` — a message's earlier content, one row per edit, written by the
  ``pre_save`` receiver in ``messaging/signals.py``.
* ``Notification`` — "you have a new message", one per message for its receiver, written by
  the ``post_save`` receiver in ``messaging/signals.py`` (and emailed from a worker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User

#: The longest message the API accepts, in characters (a few screens of text).
MESSAGE_MAX_LENGTH = 5000

#: What an inbox or an unread list shows of a message: ``.only()`` loads these columns and
#: defers the rest (``content``, the long one, among them). Reading a deferred field later
#: costs one query per row: code that renders these rows must not touch another field.
THREAD_LIST_FIELDS = (
    "timestamp",
    "listing__title",
    "booking",
    "sender__username",
    "receiver__username",
)
UNREAD_LIST_FIELDS = (
    "timestamp",
    "content",
    "thread_root",
    "parent_message",
    "sender__username",
    "receiver",
)


class MessageQuerySet(models.QuerySet):
    """Filters every message query of the project is built from (``Message.objects``)."""

    def for_participant(self, user: User) -> MessageQuerySet:
        """The messages ``user`` sent or received: all they may ever read.

        A thread has two participants and each of its messages is between them, so this is
        also "the threads ``user`` is in". Admins get no exception: messages are private
        correspondence (moderation happens in the Django admin).
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(sender=user) | Q(receiver=user))

    def threads(self) -> MessageQuerySet:
        """The first message of each thread (which stands for the thread)."""
        return self.filter(parent_message__isnull=True)

    def in_thread(self, root: Message | int) -> MessageQuerySet:
        """Every message of the thread that starts with ``root``, ``root`` included: one
        indexed lookup, however deep the replies nest (``thread_root``, below)."""
        root_id = getattr(root, "pk", root)
        return self.filter(Q(pk=root_id) | Q(thread_root_id=root_id))


class UnreadMessagesManager(models.Manager.from_queryset(MessageQuerySet)):
    """``Message.unread``: messages not read yet by their receiver.

    A second manager, declared after ``objects`` on purpose: Django makes the *first* manager
    of a model its default manager (``Message._default_manager``), which the admin's lists,
    ``dumpdata`` and reverse relations (``user.received_messages``) are built on. Declared
    first, this one would hide every read message from them.
    """

    def get_queryset(self) -> MessageQuerySet:
        return super().get_queryset().filter(read=False)

    def for_user(self, user: User) -> MessageQuerySet:
        """``user``'s unread messages, newest first, with only the columns an unread list
        shows (``UNREAD_LIST_FIELDS``) and the sender in the same query."""
        return (
            self.get_queryset()
            .filter(receiver=user)
            .select_related("sender")
            .only(*UNREAD_LIST_FIELDS)
            .order_by("-timestamp", "-id")
        )


class Message(models.Model):
    """One message from ``sender`` to ``receiver``; the first of a thread, or a reply."""

    # CASCADE: a message is its two participants' correspondence, not a business record.
    # When either account is deleted the conversation goes with it: the database deletes
    # it (and, through it, its history and notifications), no signal needed.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_messages"
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_messages"
    )
    # What the thread is about, stated by its first message only (replies take the thread's,
    # see the constraint below): the listing always, the booking when it is about a stay
    # (its listing then, copied by the service). CASCADE: an enquiry has no meaning without
    # the place it asks about. (A listing with bookings can't be deleted at all, and
    # bookings are kept: Booking.listing and Booking.guest are PROTECT.)
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.CASCADE, null=True, blank=True,
        related_name="messages",
    )
    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.CASCADE, null=True, blank=True,
        related_name="messages",
    )
    # The self-referential foreign key of a thread: the message this one answers.
    parent_message = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # The thread's first message, stored on every reply (the service copies it from the
    # parent), so that one indexed query fetches a whole thread however deep it nests.
    # Following parent_message instead takes one query per level, or a recursive CTE
    # (raw SQL). The price: a reply can never move to another thread — replies never do.
    thread_root = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True,
        related_name="thread_messages", editable=False,
    )
    content = models.TextField()
    # default= rather than auto_now_add=: the seed command can write fixed timestamps.
    timestamp = models.DateTimeField(default=timezone.now, editable=False)
    # Set by the pre_save receiver (messaging/signals.py) when the content changes.
    edited = models.BooleanField(default=False, editable=False)
    # Read by its receiver (the sender has read what they wrote).
    read = models.BooleanField(default=False)

    # The first manager is the default one (see UnreadMessagesManager).
    objects = MessageQuerySet.as_manager()
    unread = UnreadMessagesManager()

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=F("receiver")),
                name="message_not_to_self",
                violation_error_message="A message needs a receiver other than its sender.",
            ),
            # A thread's first message says what it is about; a reply says which message it
            # answers and in which thread, and nothing else: the subject is the thread's.
            models.CheckConstraint(
                condition=(
                    Q(parent_message__isnull=True, thread_root__isnull=True,
                      listing__isnull=False)
                    | Q(parent_message__isnull=False, thread_root__isnull=False,
                        listing__isnull=True, booking__isnull=True)
                ),
                name="message_thread_shape",
                violation_error_message=(
                    "A first message names its listing; a reply names its parent and thread."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(content=""),
                name="message_content_not_empty",
                violation_error_message="A message needs some content.",
            ),
        ]
        indexes = [
            # "My unread messages", asked by every page's unread badge: a partial index holds
            # only the unread rows, so it stays small however many messages were read.
            models.Index(
                fields=["receiver", "timestamp"],
                condition=Q(read=False),
                name="message_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} from {self.sender_id} to {self.receiver_id}"

    @property
    def thread_id(self) -> int | None:
        """The id of the thread's first message (this message's own id if it is one)."""
        return self.thread_root_id or self.pk


class MessageHistory(models.Model):
    """A message's content before one edit; the newest row is the version before the current one."""

    # CASCADE: a message's history is part of the message.
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="history")
    old_content = models.TextField()
    # When the content was replaced (the old version's last moment).
    edited_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["edited_at", "id"]
        verbose_name_plural = "message histories"

    def __str__(self) -> str:
        return f"Edit of message {self.message_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """"You have a new message": one per message, for its receiver."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The idempotency record of the email: set in the same transaction that sends it, so a
    # task delivered twice sends it once (like Booking.confirmation_sent_at).
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One notification per message and user, enforced by PostgreSQL: a receiver
            # connected twice (a missing dispatch_uid) fails loudly instead of notifying twice.
            models.UniqueConstraint(
                fields=["message", "user"],
                name="notification_unique_per_message",
                violation_error_message="This message was already notified.",
            ),
        ]
        indexes = [
            # "My notifications, newest first" (the unique index starts with message).
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return f"Message {self.message_id} for {self.user_id}"
