"""How threads, messages and notifications look in the API, and what a client sends.

Input serializers check shape: types, lengths, which fields go together. Who may write to whom
and about what are the services' rules (``messaging.services``), so they hold for every caller.

The output serializers read only the fields their selector loads: the inbox's rows come from a
query with ``.only()`` (``selectors.thread_list``), and a serializer that read one more field —
``content``, say — would cost one extra query per row, silently.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from bookings.serializers import VisibleBookingField
from listings.models import Listing
from listings.serializers import VisibleListingField
from messaging.models import MESSAGE_MAX_LENGTH, Message, MessageHistory, Notification
from messaging.selectors import message_list_visible_to


class ParticipantSerializer(serializers.ModelSerializer):
    """A participant as the other one sees them: a name, nothing private."""

    class Meta:
        model = User
        fields = ["id", "username"]
        read_only_fields = fields


class SubjectListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Listing
        fields = ["id", "title"]
        read_only_fields = fields


class ThreadSerializer(serializers.ModelSerializer):
    """One row of the inbox: a thread, what it is about, who is in it, how recent, how unread.

    Reads only ``THREAD_LIST_FIELDS`` and the selector's annotations: no message text.
    """

    listing = SubjectListingSerializer(read_only=True)
    booking = serializers.IntegerField(source="booking_id", read_only=True, allow_null=True,
                                       help_text="The booking it is about, if any.")
    sender = ParticipantSerializer(read_only=True)
    receiver = ParticipantSerializer(read_only=True)
    started_at = serializers.DateTimeField(source="timestamp", read_only=True)
    last_activity = serializers.DateTimeField(read_only=True)
    reply_count = serializers.IntegerField(read_only=True)
    unread = serializers.IntegerField(read_only=True, help_text="Messages you haven't read.")

    class Meta:
        model = Message
        fields = ["id", "listing", "booking", "sender", "receiver", "started_at",
                  "last_activity", "reply_count", "unread"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    """One message, as its sender or receiver sees it."""

    thread = serializers.IntegerField(source="thread_id", read_only=True,
                                      help_text="Id of the thread's first message.")
    sender = ParticipantSerializer(read_only=True)
    receiver = ParticipantSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "thread", "parent_message", "sender", "receiver", "content", "timestamp",
                  "edited", "read"]
        read_only_fields = fields


class MessageNodeSerializer(serializers.ModelSerializer):
    """A message in a thread's tree, with its replies nested (built by ``thread_tree``)."""

    sender = ParticipantSerializer(read_only=True)
    replies = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "parent_message", "sender", "content", "timestamp", "edited", "read",
                  "replies"]
        read_only_fields = fields

    def get_replies(self, message: Message) -> list[dict]:
        # The children lists thread_tree() built: plain lists, no query at any depth.
        return MessageNodeSerializer(message.children, many=True, context=self.context).data


# The replies are this serializer again: said after the class exists, so the schema is recursive.
extend_schema_field(MessageNodeSerializer(many=True))(MessageNodeSerializer.get_replies)


class ThreadDetailSerializer(MessageNodeSerializer):
    """A whole thread: what it is about, then its first message with the replies nested."""

    listing = SubjectListingSerializer(read_only=True)
    booking = serializers.IntegerField(source="booking_id", read_only=True, allow_null=True)
    receiver = ParticipantSerializer(read_only=True)

    class Meta(MessageNodeSerializer.Meta):
        fields = ["id", "listing", "booking", "sender", "receiver", "content", "timestamp",
                  "edited", "read", "replies"]
        read_only_fields = fields


class UnreadMessageSerializer(serializers.ModelSerializer):
    """An unread message: who wrote it, in which thread, when and what.

    Reads only ``UNREAD_LIST_FIELDS`` (``Message.unread.for_user`` loads nothing else).
    """

    thread = serializers.IntegerField(source="thread_id", read_only=True)
    sender = ParticipantSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "thread", "parent_message", "sender", "content", "timestamp"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="How many messages you haven't read yet.")


class MessageHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageHistory
        fields = ["old_content", "edited_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    """A notification: which message, from whom, in which thread."""

    thread = serializers.IntegerField(source="message.thread_id", read_only=True)
    sender = ParticipantSerializer(source="message.sender", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "message", "thread", "sender", "created_at"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)  # the docs can't see a model behind get_queryset()
class VisibleMessageField(serializers.PrimaryKeyRelatedField):
    """A message id, resolved among the messages the requesting user sent or received.

    Someone else's message id gets the same 400 as an id that doesn't exist: the API does not
    confirm that a conversation it won't show you exists.
    """

    def get_queryset(self):
        # .defer(): answering a message needs its participants and thread, not its text, and
        # nothing here reads it (reading it would cost a query of its own).
        return message_list_visible_to(user=self.context["request"].user).defer("content")


class MessageInputSerializer(serializers.Serializer):
    """A new message: start a thread about a ``listing`` or a ``booking``, or answer a message
    (``parent_message``). Exactly one of the three."""

    listing = VisibleListingField(required=False, help_text="Ask its host about a listing.")
    booking = VisibleBookingField(
        required=False, help_text="Write about your booking (its guest and host only).")
    parent_message = VisibleMessageField(required=False, help_text="Answer this message.")
    content = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        help_text=f"The message, up to {MESSAGE_MAX_LENGTH} characters.",
    )

    def validate(self, data: dict) -> dict:
        given = [name for name in ("listing", "booking", "parent_message") if name in data]
        if len(given) != 1:
            raise serializers.ValidationError(
                "Say what the message is about: exactly one of listing, booking and "
                "parent_message.")
        return data


class MessageEditSerializer(serializers.Serializer):
    """The new content of your message."""

    content = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        help_text=f"The message, up to {MESSAGE_MAX_LENGTH} characters.",
    )
