"""Who may act on a booking they can see."""

from rest_framework.permissions import BasePermission


class IsBookingGuestOrAdmin(BasePermission):
    """The guest who booked, or an admin. The listing's host may look but not cancel.

    Only meaningful on objects from ``booking_list_visible_to``: anyone else never gets
    this far, because the booking isn't in their queryset (404).
    """

    message = "Only the guest who booked (or an admin) can cancel this booking."

    def has_object_permission(self, request, view, obj) -> bool:
        return obj.guest_id == request.user.id or request.user.is_admin
