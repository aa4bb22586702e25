"""Lesson 04's wrong projects (see ``wrong_projects.py``)."""

from __future__ import annotations

from .wrong_projects import Wrong

BASE = "config/settings/base.py"
ACCOUNT_VIEWS = "accounts/views.py"
ACCOUNT_URLS = "accounts/urls.py"
BOOKING_VIEWS = "bookings/views.py"
LISTING_VIEWS = "listings/views.py"
LISTING_PERMISSIONS = "listings/permissions.py"

JWT_FIRST = '''        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
'''
LOGOUT_ROUTE = 'path("jwt/logout/", views.JWTLogoutView.as_view(), name="jwt-logout"),'

WRONG: list[Wrong] = [
    # --- 04.b1 JWT: obtain, refresh, logout ----------------------------------------------------
    Wrong("04.b1", "SessionAuthentication listed first (anonymous requests get 403, not 401)",
          {BASE: [(JWT_FIRST, '''        "rest_framework.authentication.SessionAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
''')]},
          hint="List JWTAuthentication first"),
    Wrong("04.b1", "JWTAuthentication left out of the authentication classes",
          {BASE: [(JWT_FIRST, '''        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
''')]},
          hint="DRF never looked at the Bearer token"),
    Wrong("04.b1", "refresh tokens not rotated (a refresh token lives its whole day)",
          {BASE: [('    "ROTATE_REFRESH_TOKENS": True,\n', "")]},
          hint="rotate refresh tokens"),
    Wrong("04.b1", "rotation without blacklisting (every old refresh token still works)",
          {BASE: [('    "BLACKLIST_AFTER_ROTATION": True,\n', "")]},
          hint="rotation without revocation"),
    Wrong("04.b1", "the token_blacklist app not installed (logout and rotation revoke nothing)",
          {BASE: [('    "rest_framework_simplejwt.token_blacklist",\n', "")]},
          hint="simplejwt revokes nothing unless"),
    Wrong("04.b1", "logout only on the client (the session logout view answers 204, revokes "
                   "nothing)",
          {ACCOUNT_URLS: [(LOGOUT_ROUTE, LOGOUT_ROUTE.replace("JWTLogoutView",
                                                              "SessionLogoutView"))]},
          hint="but revoked nothing"),
    Wrong("04.b1", "no logout route", {ACCOUNT_URLS: [(LOGOUT_ROUTE, "")]},
          hint="TokenBlacklistView at jwt/logout/"),
    # --- 04.b2 object permissions ----------------------------------------------------------------
    Wrong("04.b2", "bookings queryset unfiltered (the list shows everyone's bookings)",
          {BOOKING_VIEWS: [
              ("from bookings.selectors import booking_list_visible_to, review_list\n",
               "from bookings.models import Booking\nfrom bookings.selectors import review_list\n"),
              ("return booking_list_visible_to(user=self.request.user)",
               'return Booking.objects.select_related("listing", "guest").order_by("id")')]},
          hint="object permissions never run for a list"),
    Wrong("04.b2", "cancel looks the booking up among all bookings (403 leaks, not 404)",
          {BOOKING_VIEWS: [
              ("from bookings.selectors import booking_list_visible_to, review_list\n",
               "from bookings.selectors import booking_list_visible_to, review_list\n"
               "from django.shortcuts import get_object_or_404\n"
               "from bookings.models import Booking\n"),
              ("booking = booking_cancel(booking=self.get_object())",
               "booking = get_object_or_404(Booking, pk=pk)\n"
               "        self.check_object_permissions(request, booking)\n"
               "        booking = booking_cancel(booking=booking)")]},
          hint="403 tells the other user that this booking exists"),
    Wrong("04.b2", "the listing's host may cancel a booking too",
          {"bookings/permissions.py": [
              ("return obj.guest_id == request.user.id or request.user.is_admin",
               "return request.user.id in (obj.guest_id, obj.listing.host_id) "
               "or request.user.is_admin")]},
          hint="the host sees a booking at their listing but may not cancel it"),
    Wrong("04.b2", "the listing object permission checks the role, not the owner",
          {LISTING_PERMISSIONS: [
              ("return obj.host_id == request.user.id or request.user.is_admin",
               "return request.user.is_host or request.user.is_admin")]},
          hint="being a host is not enough"),
    Wrong("04.b2", "listings: has_permission only, no object permission",
          {LISTING_VIEWS: [
              ("permission_classes = [IsHostOrAdminOrReadOnly, IsListingHostOrAdminOrReadOnly]",
               "permission_classes = [IsHostOrAdminOrReadOnly]")]},
          hint="has_permission sees only the request"),
    Wrong("04.b2", "the role checked per object (a guest can publish a listing)",
          {LISTING_PERMISSIONS: [
              ("    def has_permission(self, request, view) -> bool:\n"
               "        if request.method in SAFE_METHODS:",
               "    def has_object_permission(self, request, view, obj) -> bool:\n"
               "        if request.method in SAFE_METHODS:")]},
          hint="has_permission allows writes only to users with the host role"),
    Wrong("04.b2", "every logged-in user sees inactive listings",
          {"listings/selectors.py": [
              ("Listing.objects.filter(Q(is_active=True) | Q(host=user))",
               "Listing.objects.all()")]},
          hint="an inactive listing is visible only to its host and admins"),
    # --- 04.b3 the login is throttled ------------------------------------------------------------
    Wrong("04.b3", "the JWT login view outside the login scope",
          {ACCOUNT_VIEWS: [("class JWTObtainView(LoginThrottleMixin, TokenObtainPairView):",
                            "class JWTObtainView(TokenObtainPairView):")]},
          hint="the JWT login view doesn't use the 'login' scope"),
    Wrong("04.b3", "the login rate hard-coded, not read from THROTTLE_LOGIN_RATE",
          {BASE: [('"login": env("THROTTLE_LOGIN_RATE", default="5/min"),',
                   '"login": "5/min",')]},
          hint="read it from the environment"),
    Wrong("04.b3", "attempts counted per username instead of per client",
          {ACCOUNT_VIEWS: [
              ("class LoginThrottleMixin:",
               "class PerUsernameThrottle(ScopedRateThrottle):\n"
               "    def get_cache_key(self, request, view):\n"
               '        username = str(request.data.get("username", ""))\n'
               '        return self.cache_format % {"scope": self.scope, "ident": username}\n'
               "\n\n"
               "class LoginThrottleMixin:"),
              ("throttle_classes = [ScopedRateThrottle]",
               "throttle_classes = [PerUsernameThrottle]")]},
          hint="count attempts per client"),
    Wrong("04.b3", "NUM_PROXIES unset (a forged X-Forwarded-For buys a fresh budget)",
          {BASE: [('    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),\n', "")]},
          hint="with NUM_PROXIES unset"),
    Wrong("04.b3", "a dummy cache (the throttle forgets every request)",
          {BASE: [('"BACKEND": "config.cache.ResilientRedisCache",',
                   '"BACKEND": "django.core.cache.backends.dummy.DummyCache",')]},
          hint="DummyCache keeps nothing"),
]
