"""Lesson 04 — authentication and authorization.

Every check plugs the learner's code into real Django REST framework machinery (a view, a request,
``request.user``) over the notebook's real PostgreSQL, and compares what happens with the rule the
task states. Users and bookings a check needs are created inside a transaction it rolls back, so a
check can be run again and again.

The mistakes each check argues against (each has a case, and a wrong answer in
tests/exercises/wrong_answers_04.py):

04.1 IsGuestOrReadOnly — reads refused; GET allowed but not HEAD; the listing's host taken for
     the owner; usernames compared; admins refused; is_staff taken for the admin role; the rule in
     has_permission, before the object is known.
04.2 bookings_visible_to — everything for everyone; a host's listings' bookings missing; one rule
     chosen by role (a host who travels); is_staff for admin; anonymous users crashing the
     filter; a list instead of a queryset.
04.3 access_claims — the payload trusted without the signature; exp ignored; token_type ignored;
     Django's SECRET_KEY instead of the secret given; PyJWT's exceptions let out; signatures
     compared with == (seen by watching hmac.compare_digest, not by reading the source); "alg":
     "none" accepted; a truncated signature.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from nexus.build.run import build_step
from nexus.exercises.checks.support import (
    compare_digest_calls,
    in_rollback,
    new_user,
    require_constant_time,
)
from nexus.exercises.registry import Fail, exercise, lesson

LESSON = lesson("04", "Authentication and authorization")


# --- 04.1 -----------------------------------------------------------------------------------------
def _object_permission_table(permission_class) -> dict[tuple[str, str], int]:
    """{(who, method): status} for one booking, through a real DRF view using the class."""
    from rest_framework import generics
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import Role, User
    from bookings.models import Booking

    class BookingProbe(generics.GenericAPIView):
        # Deliberately unfiltered: only the object permission decides who may act.
        queryset = Booking.objects.all()
        permission_classes = [IsAuthenticated, permission_class]
        authentication_classes: list = []
        throttle_classes: list = []

        def get(self, request, pk):
            self.get_object()
            return Response({"ok": True})

        patch = delete = get

    booking = Booking.objects.select_related("listing__host", "guest").order_by("id").first()
    cast = {
        "the booking's guest": booking.guest,
        "the listing's host": booking.listing.host,
        "another guest": User.objects.filter(role=Role.GUEST).exclude(pk=booking.guest_id)
        .order_by("username").first(),
        "a staff admin": new_user("check04-staff-admin", Role.ADMIN, is_staff=True),
        "an admin by role (not staff)": new_user("check04-role-admin", Role.ADMIN),
    }
    factory, view = APIRequestFactory(), BookingProbe.as_view()
    table = {}
    for who, user in cast.items():
        for method in ("GET", "HEAD", "PATCH", "DELETE"):
            request = factory.generic(method, f"/bookings/{booking.pk}/")
            force_authenticate(request, user=user)
            table[who, method] = view(request, pk=booking.pk).status_code
    return table


@exercise("04.1", "IsGuestOrReadOnly: an object permission")
def check_is_guest_or_read_only(permission_class) -> None:
    from rest_framework.permissions import BasePermission

    look = 'lesson 04, "3. Object permissions" and DRF\'s IsOwnerOrReadOnly example'
    if not (isinstance(permission_class, type) and issubclass(permission_class, BasePermission)):
        raise Fail(expected="a class derived from rest_framework.permissions.BasePermission",
                   got=f"a {type(permission_class).__name__}",
                   hint="a view lists permission *classes* (permission_classes = [...]) and "
                        "makes an instance per request: pass the class itself.", look=look)
    table = in_rollback(lambda: _object_permission_table(permission_class))
    allowed = {"GET": 200, "HEAD": 200}
    truth = {(who, method): allowed.get(method) or (
        200 if who in ("the booking's guest", "a staff admin", "an admin by role (not staff)")
        else 403) for who, method in table}
    wrong = [(key, table[key]) for key in table if table[key] != truth[key]]
    if not wrong:
        return
    (who, method), status = wrong[0]
    reads_refused = {(w, m) for (w, m), s in wrong if m in ("GET", "HEAD") and s == 403}
    writes = {w: table[w, "PATCH"] for w, _ in table}
    if permission_class.has_object_permission is BasePermission.has_object_permission \
            and writes["another guest"] == 200:
        hint = "has_permission runs before any object is loaded, so it cannot know whose " \
               "booking it is: decide in has_object_permission(request, view, obj)."
    elif reads_refused and all(m == "HEAD" for _, m in reads_refused):
        hint = "HEAD (and OPTIONS) are reads too, and clients send them: test the method " \
               "against DRF's SAFE_METHODS rather than naming GET alone."
    elif reads_refused:
        hint = "reads are allowed to anyone who got this far (the view's queryset already " \
               "decided who may see the booking): let SAFE_METHODS through first."
    elif writes["the listing's host"] == 200 and writes["the booking's guest"] == 403:
        hint = "a booking belongs to the guest who made it, not to the listing's host: " \
               "compare the booking's guest with the user."
    elif writes["the booking's guest"] == 403:
        hint = "the booking's own guest was refused: compare the booking's guest with " \
               "request.user (or its guest_id with request.user.id) — not with a username."
    elif writes["another guest"] == 200 or writes["the listing's host"] == 200:
        hint = "someone other than the booking's guest could change it: for unsafe methods, " \
               "allow only the booking's guest (and admins)."
    elif writes["a staff admin"] == 200 and writes["an admin by role (not staff)"] == 403:
        hint = "in this project admin is a role, not only Django's is_staff flag: " \
               "the User model's is_admin property covers both."
    elif writes["a staff admin"] == 403:
        hint = "admins may change every booking (support staff cancel stays for guests): " \
               "let admins through too."
    else:
        hint = "compare your rule with the task: reads for everyone who got this far, " \
               "changes for the booking's guest and admins."
    raise Fail(expected=f"{method} by {who} → {truth[who, method]}", got=f"{status}",
               hint=hint, look=look)


# --- 04.2 -----------------------------------------------------------------------------------------
def _visible_truth(user) -> list[int]:
    from django.db import connection

    if not user.is_authenticated:
        return []
    with connection.cursor() as cursor:
        if user.is_admin:
            cursor.execute("SELECT id FROM bookings_booking ORDER BY id")
        else:
            cursor.execute("SELECT b.id FROM bookings_booking b JOIN listings_listing l "
                           "ON l.id = b.listing_id WHERE b.guest_id = %s OR l.host_id = %s "
                           "ORDER BY b.id", [user.pk, user.pk])
        return [row[0] for row in cursor.fetchall()]


def _visible_through_a_view(bookings_visible_to, users: dict) -> dict[str, object]:
    """{who: list of ids the list view returned, or the exception it raised}."""
    from rest_framework import generics, serializers
    from rest_framework.permissions import AllowAny
    from rest_framework.test import APIRequestFactory, force_authenticate

    from bookings.models import Booking

    class IdSerializer(serializers.ModelSerializer):
        class Meta:
            model = Booking
            fields = ["id"]

    class BookingList(generics.ListAPIView):
        serializer_class = IdSerializer
        permission_classes = [AllowAny]  # the queryset alone must keep others' bookings out
        authentication_classes: list = []
        throttle_classes: list = []
        pagination_class = None

        def get_queryset(self):
            return bookings_visible_to(self.request.user)

    factory, view = APIRequestFactory(), BookingList.as_view()
    seen: dict[str, object] = {}
    for who, user in users.items():
        request = factory.get("/bookings/")
        if user is not None:
            force_authenticate(request, user=user)
        try:
            seen[who] = [row["id"] for row in view(request).data]
        except Exception as exc:  # the learner's error is this case's answer
            seen[who] = exc
    return seen


@exercise("04.2", "bookings_visible_to: filter the list")
def check_bookings_visible_to(bookings_visible_to) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet
    from django.utils import timezone

    from accounts.models import Role, User
    from bookings.models import Booking, BookingStatus
    from listings.models import Listing

    look = 'lesson 04, "List views: filter the queryset"'
    host = User.objects.filter(role=Role.HOST, listings__bookings__isnull=False) \
        .order_by("username").first()
    guest = User.objects.filter(role=Role.GUEST, bookings__isnull=False).order_by("username") \
        .first()

    def run() -> tuple[object, dict, dict]:
        traveller = User.objects.filter(role=Role.HOST, listings__bookings__isnull=False) \
            .exclude(pk=host.pk).order_by("username").first()
        elsewhere = Listing.objects.filter(is_active=True).exclude(host=traveller) \
            .order_by("id").first()
        check_in = timezone.localdate() + timedelta(days=5 * 365)
        # A host who travels: they booked a stay at someone else's listing.
        Booking.objects.create(listing=elsewhere, guest=traveller, guests=1,
                               check_in=check_in, check_out=check_in + timedelta(days=2),
                               total_price=elsewhere.price_per_night * 2,
                               status=BookingStatus.PENDING)
        users = {"a guest": guest, "a host": host, "a host who also travels": traveller,
                 "a staff admin": User.objects.filter(is_staff=True).order_by("id").first(),
                 "an admin by role (not staff)": new_user("check04-list-admin", Role.ADMIN),
                 "an anonymous visitor": None}
        truth = {who: _visible_truth(user or AnonymousUser()) for who, user in users.items()}
        returned = bookings_visible_to(guest)
        return returned, truth, _visible_through_a_view(bookings_visible_to, users)

    returned, truth, seen = in_rollback(run)
    if not isinstance(returned, QuerySet) or returned.model is not Booking:
        raise Fail(expected="bookings_visible_to(user) → a QuerySet of Booking",
                   got=f"a {type(returned).__name__}",
                   hint="return the queryset itself: the view still paginates, counts and "
                        "looks single objects up in it (get_object() searches this queryset).",
                   look=look)
    for who, ids in seen.items():
        if ids == truth[who]:
            continue
        if isinstance(ids, Exception):
            hint = "an anonymous visitor is not a real user (no id, no role): give them an " \
                   "empty queryset (QuerySet.none()) before filtering by user." \
                if who == "an anonymous visitor" else \
                "your function raised for this user: read the error and the line it names."
            raise Fail(expected=f"{who}: {len(truth[who])} bookings",
                       got=f"{type(ids).__name__}: {ids}"[:200], hint=hint, look=look)
        extra, missing = set(ids) - set(truth[who]), set(truth[who]) - set(ids)
        if who == "a guest" and extra:
            hint = "the guest sees bookings that are not theirs: filter the bookings down to " \
                   "the user's own."
        elif who == "a host" and missing:
            hint = "a host also sees the bookings made at their listings (to prepare the " \
                   "rooms), not only the stays they booked themselves."
        elif who == "a host who also travels" and missing:
            hint = "a host who travels is also a guest: don't choose one rule by role — " \
                   "combine 'booked by the user' OR 'at the user's listing' for everyone."
        elif who == "an admin by role (not staff)" and missing:
            hint = "in this project admin is a role, not only Django's is_staff flag: the " \
                   "User model's is_admin property covers both."
        elif who in ("a staff admin", "an admin by role (not staff)") and missing:
            hint = "admins see every booking."
        elif extra:
            hint = "someone sees bookings that are neither theirs nor at their listings."
        else:
            hint = "compare your filter with the rule: own bookings, bookings at own " \
                   "listings, everything for admins, nothing for anonymous visitors."
        raise Fail(expected=f"{who} sees {len(truth[who])} bookings",
                   got=f"{len(ids)} ({len(extra)} not theirs to see, {len(missing)} missing)",
                   hint=hint, look=look)


# --- 04.3 -----------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered(token: str, **changes) -> str:
    """The token with its payload edited and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, _b64(json.dumps(claims | changes).encode()), signature])


@exercise("04.3", "access_claims: validate a JWT yourself")
def check_access_claims(access_claims) -> None:
    from django.conf import settings
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    from accounts.models import User

    look = 'lesson 04, "Inside a JWT" and RFC 7519 (exp); simplejwt\'s tokens.py'
    user = User.objects.filter(role="guest").order_by("username").first()
    secret = settings.SECRET_KEY
    access = str(AccessToken.for_user(user))
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    refresh = str(RefreshToken.for_user(user))
    other_secret = "lesson-04-another-secret-0123456789abcdef"
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = f"{header}.{access.split('.')[1]}."

    def call(token: str, key: str) -> tuple[str, object]:
        try:
            return "accepted", access_claims(token, key)
        except ValueError as exc:
            return "refused", exc

    compared: list = []
    for token, key, what in ((access, secret, "a valid access token"),
                             (_signed_with(user, other_secret), other_secret,
                              "a valid access token signed with the secret you are given")):
        with compare_digest_calls(access_claims) as calls:
            outcome, value = call(token, key)
        compared += calls
        if outcome == "refused":
            hint = ("the token was signed with the secret passed to you, not with Django's: use "
                    "the `secret` argument." if key != secret else
                    "a JWT's parts are base64url without '=' padding: restore it before "
                    "decoding, and sign the ASCII text 'header.payload' with HMAC-SHA256.")
            raise Fail(expected=f"{what} → its claims", got=f"ValueError: {value}"[:200],
                       hint=hint, look=look)
        if not isinstance(value, dict) or value.get("user_id") != str(user.pk) \
                or value.get("token_type") != "access":
            raise Fail(expected=f"{what} → its payload as a dict (token_type, exp, iat, jti, "
                                "user_id)", got=repr(value)[:200],
                       hint="return the decoded payload (the middle part) as a dict.", look=look)
    cases = (
        (_tampered(access, user_id=str(user.pk + 1)), "a token whose payload was edited "
         "(user_id changed, signature kept)",
         "anyone can edit a base64 payload: only the signature proves the server wrote it. "
         "Recompute the HMAC of header.payload with the secret and compare it with the third "
         "part."),
        (str(expired), "an access token that expired a minute ago",
         "the signature is fine but the token is past its exp claim (seconds since the epoch): "
         "compare it with the current time."),
        (refresh, "a refresh token",
         "a refresh token is signed with the same key, and it lives for a day: check the "
         "token_type claim, or a refresh token works as a long-lived access token."),
        (unsigned, 'a token with "alg": "none" and no signature',
         "never let the token choose how it is checked: require HS256 and a valid signature."),
        (access[:-6], "a token whose signature was cut short",
         "a part of a signature proves nothing: the whole HMAC must match."),
    )
    for token, what, hint in cases:
        try:
            outcome, value = call(token, secret)
        except Exception as exc:  # a wrong exception type is the answer here
            raise Fail(expected=f"{what} → ValueError", got=f"{type(exc).__name__}: {exc}"[:200],
                       hint="raise ValueError for every invalid token (catch the other errors "
                            "and re-raise), so callers need to handle one exception type.",
                       look=look) from None
        if outcome == "accepted":
            raise Fail(expected=f"{what} → ValueError", got="accepted", hint=hint, look=look)
    require_constant_time(compared, look)


def _signed_with(user, secret: str) -> str:
    """A valid access token for ``user``, signed with ``secret`` instead of Django's."""
    import hashlib
    import hmac

    from rest_framework_simplejwt.tokens import AccessToken

    claims = AccessToken.for_user(user).payload
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
        _b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


# --- build steps: the learner's own project (contracts in nexus/build/contracts/lesson04.py) -----
build_step("04.b1", "Build: JWT login, refresh and logout (the refresh token revoked)",
           server=True)
build_step("04.b2", "Build: object permissions, by the permission matrix",
           requires=("04.b1",), server=True)
build_step("04.b3", "Build: the login is throttled per client",
           requires=("04.b1",), server=True, env={"THROTTLE_LOGIN_RATE": "3/min"})
