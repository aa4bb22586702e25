"""Plausible wrong answers to the exercises of lesson 04, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from rest_framework.permissions import SAFE_METHODS, BasePermission

# --- 04.1 IsGuestOrReadOnly -----------------------------------------------------------------------
# Classes, as the learner passes them; importing DRF's permissions needs no Django settings.


class PermNoReads(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.guest_id == request.user.id or request.user.is_admin


class PermGetOnly(BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method == "GET" or obj.guest_id == request.user.id \
            or request.user.is_admin


class PermHostIsOwner(BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or obj.listing.host_id == request.user.id \
            or request.user.is_admin


class PermComparesUsername(BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or obj.guest == request.user.username \
            or request.user.is_admin


class PermNoAdmin(BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or obj.guest_id == request.user.id


class PermIsStaff(BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method in SAFE_METHODS or obj.guest_id == request.user.id \
            or request.user.is_staff


class PermHasPermissionOnly(BasePermission):
    def has_permission(self, request, view):
        return request.user.is_authenticated


# --- 04.2 bookings_visible_to ---------------------------------------------------------------------
def visible_everything(user):
    from bookings.models import Booking

    return Booking.objects.all()


def visible_guest_only(user):
    from bookings.models import Booking

    if not user.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.all() if user.is_admin else Booking.objects.filter(guest=user)


def visible_by_role(user):
    from bookings.models import Booking

    if not user.is_authenticated:
        return Booking.objects.none()
    if user.is_admin:
        return Booking.objects.all()
    if user.is_host:
        return Booking.objects.filter(listing__host=user)
    return Booking.objects.filter(guest=user)


def visible_staff_admin(user):
    from django.db.models import Q

    from bookings.models import Booking

    if not user.is_authenticated:
        return Booking.objects.none()
    if user.is_staff:
        return Booking.objects.all()
    return Booking.objects.filter(Q(guest=user) | Q(listing__host=user))


def visible_no_anonymous_guard(user):
    from django.db.models import Q

    from bookings.models import Booking

    if user.is_admin:
        return Booking.objects.all()
    return Booking.objects.filter(Q(guest=user) | Q(listing__host=user))


def visible_as_list(user):
    from django.db.models import Q

    from bookings.models import Booking

    if not user.is_authenticated:
        return []
    if user.is_admin:
        return list(Booking.objects.all())
    return list(Booking.objects.filter(Q(guest=user) | Q(listing__host=user)))


# --- 04.3 access_claims ---------------------------------------------------------------------------
def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signature_ok(token: str, secret: str) -> bool:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(_decode(signature), expected)


def claims_unverified(token, secret):
    claims = json.loads(_decode(token.split(".")[1]))
    if claims["exp"] <= time.time() or claims["token_type"] != "access":
        raise ValueError("invalid")
    return claims


def claims_no_expiry(token, secret):
    if not _signature_ok(token, secret):
        raise ValueError("bad signature")
    claims = json.loads(_decode(token.split(".")[1]))
    if claims["token_type"] != "access":
        raise ValueError("not an access token")
    return claims


def claims_any_type(token, secret):
    if not _signature_ok(token, secret):
        raise ValueError("bad signature")
    claims = json.loads(_decode(token.split(".")[1]))
    if claims["exp"] <= time.time():
        raise ValueError("expired")
    return claims


def claims_django_secret(token, secret):
    from django.conf import settings

    if not _signature_ok(token, settings.SECRET_KEY):
        raise ValueError("bad signature")
    claims = json.loads(_decode(token.split(".")[1]))
    if claims["exp"] <= time.time() or claims["token_type"] != "access":
        raise ValueError("invalid")
    return claims


def claims_pyjwt_errors(token, secret):
    import jwt

    claims = jwt.decode(token, secret, algorithms=["HS256"])  # raises jwt's own errors
    if claims["token_type"] != "access":
        raise ValueError("not an access token")
    return claims


def claims_with_equals(token, secret):
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    # hmac.compare_digest would do too; == is the same thing, shorter
    if _decode(signature) != expected:
        raise ValueError("bad signature")
    claims = json.loads(_decode(payload))
    if claims["exp"] <= time.time() or claims["token_type"] != "access":
        raise ValueError("invalid")
    return claims


def claims_alg_none_allowed(token, secret):
    header = json.loads(_decode(token.split(".")[0]))
    if header.get("alg") != "none" and not _signature_ok(token, secret):  # "unsigned is fine"
        raise ValueError("bad signature")
    claims = json.loads(_decode(token.split(".")[1]))
    if claims["exp"] <= time.time() or claims["token_type"] != "access":
        raise ValueError("invalid")
    return claims


#: exercise id → (wrong answer, a phrase of the hint meant for it)
WRONG_ANSWERS = {
    "04.1": [(PermNoReads, "let SAFE_METHODS through first"),
             (PermGetOnly, "HEAD (and OPTIONS) are reads too"),
             (PermHostIsOwner, "not to the listing's host"),
             (PermComparesUsername, "not with a username"),
             (PermNoAdmin, "admins may change every booking"),
             (PermIsStaff, "admin is a role"),
             (PermHasPermissionOnly, "has_permission runs before any object is loaded")],
    "04.2": [(visible_everything, "bookings that are not theirs"),
             (visible_guest_only, "a host also sees the bookings made at their listings"),
             (visible_by_role, "a host who travels is also a guest"),
             (visible_staff_admin, "admin is a role"),
             (visible_no_anonymous_guard, "QuerySet.none()"),
             (visible_as_list, "return the queryset itself")],
    "04.3": [(claims_unverified, "only the signature proves"),
             (claims_no_expiry, "past its exp claim"),
             (claims_any_type, "check the token_type claim"),
             (claims_django_secret, "use the `secret` argument"),
             (claims_pyjwt_errors, "raise ValueError for every invalid token"),
             (claims_with_equals, "stops at the first differing character"),
             (claims_alg_none_allowed, "never let the token choose")],
}
