"""Who may act on a message they can see."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsMessageSenderOrReadOnly(BasePermission):
    """DRF's IsOwnerOrReadOnly for messages: both participants read, only the sender edits.

    Only meaningful on objects from ``message_list_visible_to``: anyone who is not a
    participant never gets this far, because the message isn't in their queryset (404).
    """

    message = "Only its sender can edit a message."

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or obj.sender_id == request.user.id
