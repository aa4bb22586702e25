"""HTTP endpoints for messaging: thin views over messaging.selectors and messaging.services.

404 or 403? The rule of the whole API (see bookings.views): a thread or a message you are not
a participant of is a **404**, exactly like an id that doesn't exist — the queryset leaves it
out — so nobody can learn who writes to whom by walking ids. Admins included: messages are
private correspondence. A message you can see but may not change (the other participant's) is
a **403**. In a request body, an id you can't see is reported like an unknown id (a 400).
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from config.openapi import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, validation_error
from messaging.cache import cached_unread_count
from messaging.permissions import IsMessageSenderOrReadOnly
from messaging.selectors import (
    message_history_list,
    message_list_visible_to,
    message_unread_list,
    notification_list,
    thread_list,
    thread_list_visible_to,
    thread_tree,
)
from messaging.serializers import (
    MessageEditSerializer,
    MessageHistorySerializer,
    MessageInputSerializer,
    MessageSerializer,
    NotificationSerializer,
    ThreadDetailSerializer,
    ThreadSerializer,
    UnreadCountSerializer,
    UnreadMessageSerializer,
)
from messaging.services import message_edit, message_reply, thread_mark_read, thread_start

GUEST = {"id": 12, "username": "guest0003"}
HOST = {"id": 2, "username": "host001"}
THREAD_EXAMPLE = OpenApiExample(
    "A guest's question about their booking",
    value={
        "id": 31,
        "listing": {"id": 7, "title": "Sunny 2-bedroom apartment near Bole"},
        "booking": 41,
        "sender": GUEST,
        "receiver": HOST,
        "started_at": "2027-02-01T09:30:00+03:00",
        "last_activity": "2027-02-01T11:05:00+03:00",
        "reply_count": 2,
        "unread": 1,
    },
    response_only=True,
)
TREE_EXAMPLE = OpenApiExample(
    "A thread with nested replies",
    value={
        "id": 31, "listing": {"id": 7, "title": "Sunny 2-bedroom apartment near Bole"},
        "booking": 41, "sender": GUEST, "receiver": HOST,
        "content": "Can we check in at 10 in the morning?",
        "timestamp": "2027-02-01T09:30:00+03:00",
        "edited": False, "read": True,
        "replies": [{
            "id": 32, "parent_message": 31, "sender": HOST,
            "content": "Yes, the cleaners finish at 9.", "timestamp": "2027-02-01T10:12:00+03:00",
            "edited": False, "read": True,
            "replies": [{
                "id": 33, "parent_message": 32, "sender": GUEST,
                "content": "Perfect, thank you!", "timestamp": "2027-02-01T11:05:00+03:00",
                "edited": True, "read": False, "replies": [],
            }],
        }],
    },
    response_only=True,
)  # fmt: skip
MESSAGE_EXAMPLE = OpenApiExample(
    "A reply",
    value={
        "id": 33, "thread": 31, "parent_message": 32, "sender": GUEST, "receiver": HOST,
        "content": "Perfect, thank you!", "timestamp": "2027-02-01T11:05:00+03:00",
        "edited": False, "read": False,
    },
    response_only=True,
)  # fmt: skip
THREAD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH,
                             description="The thread's id: the id of its first message.")
MarkedSerializer = inline_serializer(
    name="MarkedRead", fields={"marked": serializers.IntegerField(
        help_text="How many messages were marked read now.")})


@extend_schema_view(
    list=extend_schema(
        summary="Your inbox: the threads you are in",
        description=(
            "Newest activity first, 20 per page. Each thread: what it is about, who is in it, "
            "when it started and last moved, how many replies and how many messages you "
            "haven't read. No message text: open the thread for that."
        ),
        responses={200: ThreadSerializer(many=True), 401: UNAUTHORIZED},
        examples=[THREAD_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Read a thread",
        description=(
            "The thread's first message with every reply nested under the message it "
            "answers, oldest first. 404 unless you are one of its two participants."
        ),
        parameters=[THREAD_ID],
        responses={200: ThreadDetailSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
        examples=[TREE_EXAMPLE],
    ),
)
@extend_schema(tags=["messages"])
class ThreadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Conversations between a guest and a host; a thread's id is its first message's."""

    serializer_class = ThreadSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        if self.action == "list":
            return thread_list(user=self.request.user)
        return thread_list_visible_to(user=self.request.user)

    def retrieve(self, request, pk=None):
        # get_object(): 404 unless a participant. thread_tree(): the whole thread, one query.
        root = thread_tree(root=self.get_object())
        return Response(ThreadDetailSerializer(root).data)

    @extend_schema(
        summary="Mark a thread read",
        description="Marks every message of the thread that you received as read.",
        parameters=[THREAD_ID],
        request=None,
        responses={200: MarkedSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        marked = thread_mark_read(root=self.get_object(), user=request.user)
        return Response({"marked": marked})


@extend_schema(tags=["messages"])
class MessageViewSet(viewsets.GenericViewSet):
    """Write, answer and edit messages; your unread ones."""

    serializer_class = MessageSerializer
    permission_classes = [IsAuthenticated, IsMessageSenderOrReadOnly]
    filter_backends: list = []

    def get_queryset(self):
        return message_list_visible_to(user=self.request.user)

    @extend_schema(
        summary="Send a message",
        description=(
            "Exactly one of: `listing` (ask its host; not your own listing), `booking` (its "
            "guest and its listing's host write to each other; anyone else who can see it, "
            "an admin, gets 403) or `parent_message` (answer a message of a thread you are "
            "in). The receiver is the other participant. An id you can't see is a 400."
        ),
        request=MessageInputSerializer,
        responses={
            201: MessageSerializer,
            400: validation_error({"content": ["This field may not be blank."]}),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample("Ask about a listing",
                           value={"listing": 7, "content": "Is there parking?"},
                           request_only=True),
            OpenApiExample("Answer a message",
                           value={"parent_message": 32, "content": "Perfect, thank you!"},
                           request_only=True),
            MESSAGE_EXAMPLE,
        ],
    )
    def create(self, request):
        data = MessageInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "parent_message" in values:
            message = message_reply(sender=request.user, parent=values["parent_message"],
                                    content=values["content"])
        else:
            message = thread_start(sender=request.user, listing=values.get("listing"),
                                   booking=values.get("booking"), content=values["content"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit your message",
        description=(
            "Only its sender; the other participant gets 403, anyone else 404. The old "
            "content is kept (`/history/`) and the message shows `edited: true`."
        ),
        request=MessageEditSerializer,
        responses={
            200: MessageSerializer,
            400: validation_error({"content": ["This field may not be blank."]}),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[OpenApiExample("New content", value={"content": "Perfect, thanks a lot!"},
                                 request_only=True), MESSAGE_EXAMPLE],
    )
    def partial_update(self, request, pk=None):
        # get_object(): 404 if not a participant, then 403 if not the sender.
        message = self.get_object()
        data = MessageEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = message_edit(message=message, editor=request.user,
                               content=data.validated_data["content"])
        return Response(MessageSerializer(message).data)

    @extend_schema(
        summary="A message's earlier versions",
        description="Oldest first; both participants may read it.",
        responses={200: MessageHistorySerializer(many=True), 401: UNAUTHORIZED,
                   404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        page = self.paginate_queryset(message_history_list(message=self.get_object()))
        return self.get_paginated_response(MessageHistorySerializer(page, many=True).data)

    @extend_schema(
        summary="Your unread messages",
        description="Newest first, 20 per page; `count` is how many there are.",
        responses={200: UnreadMessageSerializer(many=True), 401: UNAUTHORIZED},
    )
    @action(detail=False, methods=["get"])
    def unread(self, request):
        page = self.paginate_queryset(message_unread_list(user=request.user))
        return self.get_paginated_response(UnreadMessageSerializer(page, many=True).data)

    @extend_schema(
        summary="How many messages you haven't read",
        description=(
            "For a badge a client shows on every page: cached per user, and current on the "
            "next request after a new message or a thread marked read."
        ),
        responses={200: UnreadCountSerializer, 401: UNAUTHORIZED},
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": cached_unread_count(user=request.user)})


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications",
        description="One per message you received, newest first, 20 per page.",
        responses={200: NotificationSerializer(many=True), 401: UNAUTHORIZED},
    ),
)
@extend_schema(tags=["messages"])
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The notifications of new messages (each is also emailed)."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        return notification_list(user=self.request.user)
