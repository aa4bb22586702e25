"""Throttles for the pages that take a password outside the API: the Django admin's login.

The API's logins share the ``login`` scope (THROTTLE_LOGIN_RATE, accounts/views.py). The
admin login form takes the same password, so it spends the same budget, under the same key
(``throttle_login_<address>``): rotating between the admin form and the API buys a guesser
nothing. A second budget per username stops a guesser who rotates addresses against one
account. Both count in the default cache (Redis), shared by every gunicorn worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle

from config.throttling import throttle_wait


class LoginAddressThrottle(SimpleRateThrottle):
    """The ``login`` scope per client address: the key ScopedRateThrottle gives anonymous logins."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    """The ``login`` scope per username tried, whatever address it comes from."""

    scope = "login"

    def get_cache_key(self, request, view) -> str | None:
        username = request.POST.get("username", "").strip().lower()
        if not username:
            return None  # no username, no password check: nothing to count
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]  # any bytes, fixed length
        return self.cache_format % {"scope": "login-username", "ident": digest}


def throttle_password_posts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap a login view: a POST over either budget gets 429 before any password is hashed."""

    def throttled(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            wait = throttle_wait([LoginAddressThrottle(), LoginUsernameThrottle()], request)
            if wait is not None:
                response = HttpResponse(
                    f"Too many login attempts. Try again in {wait} seconds.\n",
                    status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return throttled
