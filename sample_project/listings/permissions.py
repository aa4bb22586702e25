"""Who may change listings: hosts their own, admins all; everyone may read.

Two levels, as DRF checks them:

* ``has_permission`` runs for every request, before any object is loaded: it decides
  by role alone (anonymous → 401, a guest writing → 403).
* ``has_object_permission`` runs when a view calls ``get_object()`` for one listing: it
  decides by ownership (another host's listing → 403). It never runs for list views,
  which is why list views must filter their queryset instead.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsHostOrAdminOrReadOnly(BasePermission):
    """Reads for everyone; writes for users with the host or admin role."""

    message = "Only hosts can publish or change listings."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user.is_authenticated and (user.is_host or user.is_admin))


class IsListingHostOrAdminOrReadOnly(BasePermission):
    """DRF's IsOwnerOrReadOnly for listings: the owner (or an admin) may change it."""

    message = "You can change only your own listings."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return obj.host_id == request.user.id or request.user.is_admin
