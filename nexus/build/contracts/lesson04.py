"""Lesson 04's build steps: JWT login and logout, object permissions, a throttled login.

The names are the sample project's: ``/api/auth/jwt/`` (obtain), ``/api/auth/jwt/refresh/``,
``/api/auth/jwt/logout/`` (revoke a refresh token), ``/api/auth/me/``; the bookings and listings
endpoints of lesson 03; the ``login`` throttle scope and its rate from ``THROTTLE_LOGIN_RATE``.

Everything is checked over HTTP against the learner's gunicorn. Each client connects from a
loopback address of its own (``127.x.y.z``: all of ``127.0.0.0/8`` is this machine), so a throttle
budget spent by an earlier check, or by another contract, is never this client's: the project's
cache (Redis database 4) outlives a check. Users get unique names for the same reason.

Who may do what comes from the sample project's permission matrix
(``sample_project/config/permission_matrix.py``, the data its own tests and lesson 04 use), not
from a copy typed here.
"""

from __future__ import annotations

import importlib.util
import secrets
import traceback
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from nexus.build.contract import Context, Fail, contract, learner_location

LOOK_JWT = "lesson 04, §2 'JWT: a signed statement, checked without the database'"
LOOK_HTTP = "lesson 04, §2 'Sessions, tokens and JWTs, over real HTTP'"
LOOK_REVOKE = "lesson 04, §2 'Inside a JWT' (what can be revoked)"
LOOK_OBJECTS = "lesson 04, §3 'Object permissions: who may see and change what'"
LOOK_LISTS = "lesson 04, §3 'List views: filter the queryset'"
LOOK_MATRIX = "lesson 04, §5 'The permission matrix, observed'"
LOOK_THROTTLE = "lesson 04, §4 'Throttling: 429 and `Retry-After`'"
LOOK_NOT_A_BOUNDARY = "lesson 04, §4 'Why throttling is not a security boundary'"
LOOK_USER = "lesson 02, the custom user (accounts.User with a role)"

OBTAIN = "/api/auth/jwt/"
REFRESH = "/api/auth/jwt/refresh/"
LOGOUT = "/api/auth/jwt/logout/"
ME = "/api/auth/me/"
BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"
#: The login rate the check gives the project (04.b3): reached in a few requests.
LOGIN_RATE = "3/min"
PASSWORD = "b04-correct-horse-battery"


# --- helpers: users, clients ---------------------------------------------------------------------
_hashed: list[str] = []


def _password_hash() -> str:
    """One hash of :data:`PASSWORD` for every user a check makes (hashing is slow on purpose)."""
    if not _hashed:
        from django.contrib.auth.hashers import make_password

        _hashed.append(make_password(PASSWORD))
    return _hashed[0]


def _error(exc: BaseException, ctx: Context) -> str:
    """``"TypeError: … (accounts/models.py, line 9)"``: an exception, and where in the project."""
    frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
    where = learner_location(frames, ctx.project)
    text = f"{type(exc).__name__}: {exc}".strip()[:300]
    return f"{text} ({where})" if where else text


def _user(ctx: Context, label: str, role: str | None = None):
    """A new user of the project's user model, with :data:`PASSWORD` (and ``role`` if given)."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    name = f"b04-{label}-{secrets.token_hex(4)}"
    fields: dict[str, Any] = {model.USERNAME_FIELD: name}
    if model.USERNAME_FIELD != "email" and any(f.name == "email" for f in model._meta.fields):
        fields["email"] = f"{name}@build.example"
    if role is not None:
        fields["role"] = role
    try:
        user = model(**fields)
        user.password = _password_hash()
        user.save()
    except Exception as exc:
        raise Fail(expected=f"a user can be created: {model.__name__}({', '.join(fields)})",
                   got=_error(exc, ctx),
                   hint="the custom user of lesson 02: accounts.User(AbstractUser) with a role "
                        "field (guest, host or admin, default guest), and AUTH_USER_MODEL = "
                        "'accounts.User'.", look=LOOK_USER) from None
    return user


def _credentials(user, password: str = PASSWORD) -> dict[str, str]:
    return {user.USERNAME_FIELD: user.get_username(), "password": password}


def _fresh_address() -> str:
    """A loopback address no earlier check used (never 127.0.0.x, the usual clients')."""
    return (f"127.{secrets.randbelow(254) + 1}.{secrets.randbelow(256)}."
            f"{secrets.randbelow(254) + 1}")


class _Client:
    """Requests to the learner's server from an address of its own: a client nobody throttled."""

    def __init__(self, ctx: Context, token: str | None = None) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        address = _fresh_address()

        class FromAddress(HTTPAdapter):
            def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
                super().init_poolmanager(*args, source_address=(address, 0), **kwargs)

        self.ctx = ctx
        self.address = address
        self.session = requests.Session()
        self.session.mount("http://", FromAddress())
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, *, json: Any = None,
                headers: dict[str, str] | None = None):
        import requests

        url = self.ctx.url(path)
        try:
            return self.session.request(method, url, json=json, timeout=30,
                                        allow_redirects=False,
                                        headers={**self.headers, **(headers or {})})
        except requests.RequestException as exc:
            raise Fail(expected=f"an answer to {method} {path}",
                       got=f"{type(exc).__name__}: {exc}"[:300] + self.ctx._server_error(),
                       hint="the server stopped answering: run `gunicorn config.wsgi` in your "
                            "project and read what it prints.") from None

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.request("POST", path, **kwargs)


def _body(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _shown(response) -> str:
    """``"404 <!DOCTYPE html>…"`` or ``"401 {"detail": …}"``, short; tokens not spelled out."""
    body = _body(response)
    if isinstance(body, dict) and {"access", "refresh"} & set(body):
        return f"{response.status_code} {{" + ", ".join(f'"{k}": …' for k in body) + "}"
    text = " ".join(response.text.split())
    return f"{response.status_code} {text[:160]}" + ("…" if len(text) > 160 else "")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _server_error_hint(ctx: Context, response) -> str:
    return (f"your server answered {response.status_code}{ctx._server_error()}: read the "
            "traceback gunicorn printed (run `gunicorn config.wsgi` in your project), fix the "
            "file and line it names.")


def _obtain(ctx: Context, client: _Client, user) -> dict[str, str]:
    """POST /api/auth/jwt/ with the user's password: the pair, or a Fail saying what came back."""
    response = client.post(OBTAIN, json=_credentials(user))
    body = _body(response)
    if response.status_code == 200 and isinstance(body, dict) \
            and {"access", "refresh"} <= set(body):
        return body
    if response.status_code == 404:
        hint = ("route it in accounts/urls.py: path('jwt/', TokenObtainPairView.as_view()) "
                "(simplejwt's view, or a subclass), with accounts.urls included at api/auth/.")
    elif response.status_code >= 500:
        hint = _server_error_hint(ctx, response)
    else:
        hint = ("simplejwt's TokenObtainPairView takes the username and password as JSON and "
                "answers 200 with both tokens.")
    raise Fail(expected=f"POST {OBTAIN} with a right username and password: 200 "
                        '{"access": …, "refresh": …}',
               got=_shown(response), hint=hint, look=LOOK_JWT)


# --- 04.b1 JWT: obtain, refresh, logout ----------------------------------------------------------
#: The pair the first 04.b1 contract obtained, for the refresh contract (a login is a slow hash).
_first_pair: dict[str, Any] = {}


@contract("04.b1")
def jwt_access_token_authenticates(ctx: Context) -> None:
    """POST /api/auth/jwt/ returns an access and a refresh token; the access token
    authenticates GET /api/auth/me/; without a token that is a 401."""
    user = _user(ctx, "b1-me")
    client = _Client(ctx)
    pair = _obtain(ctx, client, user)
    _first_pair.update(pair=pair, client=client)
    anonymous = client.get(ME)
    if anonymous.status_code == 404:
        raise Fail(expected=f"GET {ME}: who the request is authenticated as",
                   got=_shown(anonymous),
                   hint="add a view for it in accounts/views.py (an APIView with "
                        "permission_classes = [IsAuthenticated] returning the user's id, "
                        "username and role) and route it at me/ in accounts/urls.py.",
                   look=LOOK_HTTP)
    me = client.get(ME, headers=_bearer(pair["access"]))
    body = _body(me)
    if me.status_code != 200 or not isinstance(body, dict) \
            or body.get("username") != user.get_username():
        if me.status_code in (401, 403):
            hint = ("DRF never looked at the Bearer token: put "
                    "'rest_framework_simplejwt.authentication.JWTAuthentication' in "
                    "REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'] (config/settings/base.py).")
        elif me.status_code >= 500:
            hint = _server_error_hint(ctx, me)
        else:
            hint = f"GET {ME} answers 200 with the user it authenticated (its username)."
        raise Fail(expected=f"GET {ME} with Authorization: Bearer <access>: 200 "
                            f'{{"username": "{user.get_username()}", …}}',
                   got=_shown(me), hint=hint, look=LOOK_JWT)
    challenge = anonymous.headers.get("WWW-Authenticate", "")
    if anonymous.status_code != 401 or not challenge.startswith("Bearer"):
        hint = ("IsAuthenticated on the view refuses anonymous requests; DRF answers 401 only if "
                "the first authentication class names a scheme in a WWW-Authenticate header "
                "(JWTAuthentication: Bearer), else 403. List JWTAuthentication first in "
                "DEFAULT_AUTHENTICATION_CLASSES (SessionAuthentication defines no header).")
        raise Fail(expected=f"GET {ME} without a token: 401 with WWW-Authenticate: Bearer …",
                   got=_shown(anonymous) + (f" (WWW-Authenticate: {challenge})" if challenge
                                            else " (no WWW-Authenticate header)"),
                   hint=hint, look=LOOK_HTTP)


@contract("04.b1")
def a_wrong_password_is_a_401(ctx: Context) -> None:
    """POST /api/auth/jwt/ with a wrong password: 401 and no tokens."""
    user = _user(ctx, "b1-wrong")
    response = _Client(ctx).post(OBTAIN, json=_credentials(user, "not-" + PASSWORD))
    body = _body(response)
    if response.status_code != 401 or (isinstance(body, dict) and "access" in body):
        raise Fail(expected=f"POST {OBTAIN} with a wrong password: 401, no tokens",
                   got=_shown(response),
                   hint="simplejwt's TokenObtainPairView raises AuthenticationFailed (401) by "
                        "itself; a view of your own must not answer 200 or 400 to a wrong "
                        "password.", look=LOOK_JWT)


def _blacklist_hint() -> str | None:
    """The hint when revoked refresh tokens still work and the blacklist app is missing."""
    from django.apps import apps

    if apps.is_installed(BLACKLIST_APP):
        return None
    return (f"simplejwt revokes nothing unless '{BLACKLIST_APP}' is in INSTALLED_APPS "
            "(then `python manage.py migrate`): its tokens have a blacklist() method only "
            "then, and the refresh and blacklist serializers skip the missing method silently.")


@contract("04.b1")
def refresh_returns_a_new_pair_and_revokes_the_old_refresh_token(ctx: Context) -> None:
    """POST /api/auth/jwt/refresh/ returns a new access token and a new refresh token; the
    refresh token sent is revoked (refreshing with it again: 401)."""
    if _first_pair:
        pair, client = _first_pair["pair"], _first_pair["client"]
    else:
        client = _Client(ctx)
        pair = _obtain(ctx, client, _user(ctx, "b1-refresh"))
    response = client.post(REFRESH, json={"refresh": pair["refresh"]})
    body = _body(response)
    if response.status_code != 200 or not isinstance(body, dict) or "access" not in body:
        hint = ("route simplejwt's TokenRefreshView at jwt/refresh/ in accounts/urls.py."
                if response.status_code == 404 else
                _server_error_hint(ctx, response) if response.status_code >= 500 else
                "simplejwt's TokenRefreshView takes {\"refresh\": …} and answers 200 with a "
                "new access token.")
        raise Fail(expected=f'POST {REFRESH} {{"refresh": …}}: 200 with a new access token',
                   got=_shown(response), hint=hint, look=LOOK_REVOKE)
    me = client.get(ME, headers=_bearer(body["access"]))
    if me.status_code != 200:
        raise Fail(expected="the refreshed access token authenticates GET /api/auth/me/",
                   got=_shown(me), hint="return simplejwt's access token unchanged.",
                   look=LOOK_REVOKE)
    if not body.get("refresh") or body["refresh"] == pair["refresh"]:
        raise Fail(expected="a new refresh token with the new access token (rotation)",
                   got=f"{response.status_code} with keys {sorted(body)}",
                   hint="rotate refresh tokens: SIMPLE_JWT = {…, 'ROTATE_REFRESH_TOKENS': True, "
                        "'BLACKLIST_AFTER_ROTATION': True} in config/settings/base.py, so a "
                        "refresh token works once.", look=LOOK_REVOKE)
    again = client.post(REFRESH, json={"refresh": pair["refresh"]})
    if again.status_code != 401:
        raise Fail(expected="the refresh token just traded in is revoked: refreshing with it "
                            "again is a 401",
                   got=_shown(again),
                   hint=_blacklist_hint() or (
                       "rotation without revocation leaves every old refresh token valid: "
                       "set 'BLACKLIST_AFTER_ROTATION': True in SIMPLE_JWT."),
                   look=LOOK_REVOKE)
    newer = client.post(REFRESH, json={"refresh": body["refresh"]})
    if newer.status_code != 200:
        raise Fail(expected="the new refresh token works (once)", got=_shown(newer),
                   hint="refresh with the token the last refresh returned must give a new pair.",
                   look=LOOK_REVOKE)


@contract("04.b1")
def logout_revokes_the_refresh_token(ctx: Context) -> None:
    """POST /api/auth/jwt/logout/ {"refresh": …} revokes that refresh token: refreshing with it
    afterwards is a 401."""
    user = _user(ctx, "b1-logout")
    client = _Client(ctx)
    pair = _obtain(ctx, client, user)
    out = client.post(LOGOUT, json={"refresh": pair["refresh"]},
                      headers=_bearer(pair["access"]))
    if not 200 <= out.status_code < 300:
        hint = ("route simplejwt's TokenBlacklistView at jwt/logout/ in accounts/urls.py."
                if out.status_code == 404 else
                _server_error_hint(ctx, out) if out.status_code >= 500 else
                "logging out with a valid refresh token succeeds (simplejwt's "
                "TokenBlacklistView answers 200).")
        raise Fail(expected=f'POST {LOGOUT} {{"refresh": …}}: 200 (or 204)',
                   got=_shown(out), hint=hint, look=LOOK_REVOKE)
    after = client.post(REFRESH, json={"refresh": pair["refresh"]})
    if after.status_code != 401:
        raise Fail(expected="after logout, refreshing with that refresh token is a 401",
                   got=f"logout {out.status_code}, then refresh {_shown(after)}",
                   hint=_blacklist_hint() or (
                       f"your logout answered {out.status_code} but revoked nothing: deleting "
                       "tokens on the client leaves a stolen refresh token working for its "
                       "whole lifetime. Blacklist it on the server: simplejwt's "
                       "TokenBlacklistView (or RefreshToken(token).blacklist())."),
                   look=LOOK_REVOKE)


# --- 04.b2 object permissions, by the permission matrix ------------------------------------------
def _matrix():
    """The sample project's permission matrix module (plain tuples), loaded from its file."""
    from nexus.paths import SAMPLE_PROJECT

    spec = importlib.util.spec_from_file_location(
        "nexus_build_permission_matrix", SAMPLE_PROJECT / "config" / "permission_matrix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BOOKINGS = ("GET", "/api/bookings/")
BOOKING = ("GET", "/api/bookings/{booking}/")
CANCEL = ("POST", "/api/bookings/{booking}/cancel/")
LISTING_CREATE = ("POST", "/api/listings/")
LISTING_READ = ("GET", "/api/listings/{listing}/")
LISTING_PATCH = ("PATCH", "/api/listings/{listing}/")
LISTING_DELETE = ("DELETE", "/api/listings/{spare_listing}/")
INACTIVE_READ = ("GET", "/api/listings/{inactive_listing}/")
INACTIVE_PATCH = ("PATCH", "/api/listings/{inactive_listing}/")
#: The matrix's rows this step checks, in the order a failure is reported: who may see and
#: cancel a booking, who may write listings. (Booking, reviewing and deleting a booked listing
#: are business rules of their own, not permissions.)
CHECKED = (BOOKING, CANCEL, LISTING_CREATE, LISTING_PATCH, LISTING_DELETE, INACTIVE_READ,
           INACTIVE_PATCH, LISTING_READ)
ROLE_OF = {"guest": "guest", "other_guest": "guest", "host": "host", "other_host": "host",
           "admin": "admin"}

_cast: dict[str, Any] = {}


def _the_cast(ctx: Context) -> dict[str, Any]:
    """The matrix's cast (see permission_matrix's docstring), each logged in over HTTP once:
    {"users": {role: user}, "clients": {role: _Client}} — "anonymous" has no token."""
    if _cast:
        return _cast
    users = {name: _user(ctx, name.replace("_", "-"), role) for name, role in ROLE_OF.items()}
    ctx.url("/")  # the server is up before five threads call it
    # Five logins at once: each is a slow hash in the server, which runs them in parallel.
    tokens = _concurrently({name: (lambda user=user: _obtain(ctx, _Client(ctx), user)["access"])
                            for name, user in users.items()})
    clients = {"anonymous": _Client(ctx)}
    clients.update({name: _Client(ctx, token) for name, token in tokens.items()})
    _cast.update(users=users, clients=clients)
    return _cast


def _status(client: _Client, method: str, path: str, body: Any) -> int:
    return client.request(method, path, json=body).status_code


def _concurrently(calls: dict[str, Any]) -> dict[str, Any]:
    """{name: call()} with the calls made in threads (HTTP only: no ORM in them); a Fail
    raised by one is raised here."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}


def _model(ctx: Context, label: str):
    from django.apps import apps

    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        raise Fail(expected=f"the model {label}", got=f"no model {label} in INSTALLED_APPS",
                   hint="the models of lesson 02 (listings.Listing, bookings.Booking), with "
                        "their apps in INSTALLED_APPS.", look=LOOK_USER) from None


def _choice(model, field: str, wanted: str) -> str:
    """``wanted`` if the field accepts it, else its first choice (a learner's own city list)."""
    from django.core.exceptions import FieldDoesNotExist

    try:
        choices = [value for value, _ in (model._meta.get_field(field).choices or [])]
    except FieldDoesNotExist:  # creating the row says which field is missing
        return wanted
    return wanted if not choices or wanted in choices else str(choices[0])


def _listing_body(ctx: Context) -> dict[str, Any]:
    listing = _model(ctx, "listings.Listing")
    return {"title": "Quiet room in Gondar", "description": "Near the castles.",
            "city": _choice(listing, "city", "gondar"), "address": "Piazza, Gondar",
            "price_per_night": "1200.00", "max_guests": 2, "bedrooms": 1}


def _world(ctx: Context, users: dict[str, Any]) -> dict[str, int]:
    """Fresh objects for the cast, made with the ORM: the host's listing (booked by the guest),
    a spare listing and an inactive one, and the guest's booking. Their ids by name."""
    from django.utils import timezone

    listing_model = _model(ctx, "listings.Listing")
    booking_model = _model(ctx, "bookings.Booking")
    body = _listing_body(ctx)
    today = timezone.localdate()
    try:
        def new_listing(**extra: Any):
            fields = {**body, "price_per_night": Decimal(body["price_per_night"]), **extra}
            return listing_model.objects.create(host=users["host"], **fields)

        listing = new_listing()
        objects = {
            "listing": listing,
            "spare_listing": new_listing(),
            "inactive_listing": new_listing(is_active=False),
            "booking": booking_model.objects.create(
                listing=listing, guest=users["guest"], guests=2,
                status=_choice(booking_model, "status", "pending"),
                check_in=today + timedelta(days=60), check_out=today + timedelta(days=63),
                total_price=Decimal("3600.00")),
        }
    except Fail:
        raise
    except Exception as exc:
        raise Fail(expected="listings and a booking can be created with the sample project's "
                            "fields (Listing: host, title, city, price_per_night, is_active…; "
                            "Booking: listing, guest, check_in, check_out, guests, total_price, "
                            "status)",
                   got=_error(exc, ctx),
                   hint="the models of lesson 02 keep the sample project's field names: the "
                        "checks create rows with them.", look=LOOK_USER) from None
    return {name: obj.pk for name, obj in objects.items()}


def _ids(body: Any) -> list[int] | None:
    """The ids in a list response, paginated ({"results": [...]}) or not ([...])."""
    rows = body.get("results") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        return None
    return [row.get("id") for row in rows if isinstance(row, dict)]


@contract("04.b2")
def the_bookings_list_shows_each_user_only_what_they_may_see(ctx: Context) -> None:
    """GET /api/bookings/: 401 without a login; a guest sees their bookings, a host also those
    at their listings, an admin all; nobody sees other people's."""
    cast = _the_cast(ctx)
    ids = _world(ctx, cast["users"])
    anonymous = cast["clients"]["anonymous"].get(BOOKINGS[1])
    if anonymous.status_code != 401:
        raise Fail(expected="GET /api/bookings/ without a login: 401", got=_shown(anonymous),
                   hint="permission_classes = [IsAuthenticated] on the bookings viewset (and "
                        "JWTAuthentication first, for a 401 rather than a 403).",
                   look=LOOK_OBJECTS)
    booking_model = _model(ctx, "bookings.Booking")
    from django.db.models import Q

    for role in ("guest", "other_guest", "host", "other_host", "admin"):
        user = cast["users"][role]
        response = cast["clients"][role].get(BOOKINGS[1])
        shown = _ids(_body(response)) if response.status_code == 200 else None
        if shown is None:
            raise Fail(expected=f"GET /api/bookings/ as {role}: 200 with a list of bookings",
                       got=_shown(response),
                       hint=_server_error_hint(ctx, response) if response.status_code >= 500
                       else "a bookings viewset registered on the router at bookings, "
                            "IsAuthenticated, listing the bookings the user may see.",
                       look=LOOK_LISTS)
        others = booking_model.objects.filter(pk__in=[i for i in shown if isinstance(i, int)])
        if role != "admin":
            others = others.exclude(Q(guest=user) | Q(listing__host=user))
        leaked = sorted(others.values_list("pk", flat=True)) if role != "admin" else []
        should_see = role in ("guest", "host", "admin")
        if leaked or (ids["booking"] in shown) != should_see:
            raise Fail(
                expected=f"GET /api/bookings/ as {role} shows "
                         + ("their booking" if role == "guest" else
                            "the booking at their listing" if role == "host" else
                            "every booking" if role == "admin" else "none of the others'"),
                got=f"ids {shown[:10]}" + (f" — {len(leaked)} of them not theirs" if leaked
                                           else f", without booking {ids['booking']}"
                                           if should_see else ""),
                hint="object permissions never run for a list: filter get_queryset() — the "
                     "guest's own bookings and those at the user's listings "
                     "(Q(guest=user) | Q(listing__host=user)), all for an admin, none for an "
                     "anonymous user (bookings/selectors.py in the sample project).",
                look=LOOK_LISTS)


def _permission_classes(path: str) -> list | None:
    """The permission classes of the view serving ``path`` (``None`` if it can't be told)."""
    from django.urls import Resolver404, resolve

    try:
        view = getattr(resolve(path).func, "cls", None)
    except Resolver404:
        return None
    return list(getattr(view, "permission_classes", None) or []) if view else None


def _defines_object_permission(classes: list) -> bool:
    from rest_framework.permissions import BasePermission

    return any(not isinstance(c, type)  # a composed permission (A & B): it may
               or c.has_object_permission is not BasePermission.has_object_permission
               for c in classes)


def _matrix_hint(rule: tuple[str, str], role: str, expected: int, got: int,
                 path: str) -> str:
    """What to fix when ``role`` got ``got`` instead of ``expected`` for ``rule``."""
    listing_writes = (LISTING_CREATE, LISTING_PATCH, LISTING_DELETE, INACTIVE_PATCH)
    if got >= 500:
        return ("your server answered 500: read the traceback gunicorn printed (run "
                "`gunicorn config.wsgi`), fix the file and line it names.")
    if expected == 401 and got == 403:
        return ("an anonymous client gets 403 instead of 401: DRF answers 401 only if the first "
                "authentication class defines a WWW-Authenticate header — list JWTAuthentication "
                "first in DEFAULT_AUTHENTICATION_CLASSES.")
    if expected == 401:
        return ("who hasn't logged in must be asked to: IsAuthenticated on the bookings "
                "viewset; for listings a has_permission that allows reads to all and writes to "
                "logged-in hosts and admins.")
    if rule in (BOOKING, CANCEL) and expected == 404 and got == 403:
        return ("403 tells the other user that this booking exists (they could count bookings "
                "by walking the ids): a booking they may not see must be a 404, like a missing "
                "id. Look it up with get_object(), in the filtered get_queryset(), and only then "
                "let the object permission say 403.")
    if rule in (BOOKING, CANCEL) and expected == 404:
        return ("another user's booking must be invisible: get_queryset() of the bookings "
                "viewset filters to the user's own bookings and those at their listings, so "
                "get_object() answers 404 for the rest.")
    if rule == CANCEL and role == "host" and expected == 403:
        return ("the host sees a booking at their listing but may not cancel it: only the guest "
                "who booked (or an admin). An object permission on the cancel action: "
                "has_object_permission returns obj.guest_id == request.user.id or "
                "request.user.is_admin (the 403 of the API).")
    if rule == CANCEL and expected == 200 and got == 404 and role == "guest":
        return ("the guest cancels their booking with POST /api/bookings/<id>/cancel/: an "
                "@action(detail=True, methods=['post']) named cancel on the bookings viewset.")
    if rule in listing_writes and role in ("guest", "other_guest") and expected == 403:
        if got == 404:
            return ("a guest can't write listings at all, so the answer is 403 before any "
                    "lookup: decide by role in has_permission (it runs before get_object()), "
                    "not in has_object_permission.")
        return ("a guest may not write listings: a permission whose has_permission allows "
                "writes only to users with the host role (or admins) — 403 for a guest.")
    if rule in (LISTING_PATCH, LISTING_DELETE) and role == "other_host" and expected == 403:
        classes = _permission_classes(path)
        if classes is not None and not _defines_object_permission(classes):
            return ("another host changed this host's listing: has_permission sees only the "
                    "request, never the listing. Add a permission class with "
                    "has_object_permission (obj.host_id == request.user.id, or an admin) to the "
                    "listings viewset's permission_classes.")
        return ("another host changed this host's listing: being a host is not enough. "
                "has_object_permission must compare the listing's owner with the user "
                "(obj.host_id == request.user.id, or request.user.is_admin), not check the role.")
    if rule in (INACTIVE_READ, INACTIVE_PATCH) and expected == 404:
        return ("an inactive listing is visible only to its host and admins: get_queryset() of "
                "the listings viewset shows active listings, plus the user's own (all for an "
                "admin), so another host gets 404 for it.")
    if role == "admin":
        return ("an admin may see and change everything: the permissions let "
                "request.user.is_admin through (the admin role, or Django staff).")
    return (f"{role} must get {expected} here: compare your permission classes and "
            "get_queryset() with the sample project's (bookings/permissions.py, "
            "listings/permissions.py, the selectors).")


@contract("04.b2")
def the_permission_matrix_holds(ctx: Context) -> None:
    """Who may see and cancel a booking and who may write a listing: each role gets the status
    the sample project's permission matrix gives (401, 403 or 404 the lesson's way)."""
    matrix = _matrix()
    cast = _the_cast(ctx)
    rules = {(rule.method, rule.path): rule for rule in matrix.MATRIX}
    bodies = {"listing": _listing_body(ctx), "patch": {"price_per_night": "2000.00"}}
    reading = _world(ctx, cast["users"])  # reads share one world; every write gets its own
    for key in CHECKED:
        rule = rules[key]
        body = bodies[rule.body] if rule.body else None
        # A write changes its world (a cancelled booking, a deleted listing): one per role.
        paths = {role: rule.path.format(**(reading if rule.method == "GET"
                                           else _world(ctx, cast["users"])))
                 for role in matrix.ROLES}
        # Anonymous requests come from a new address each: a low anonymous rate of the
        # project's own can't turn them into 429s.
        clients = {**cast["clients"], "anonymous": _Client(ctx)}
        observed = _concurrently({
            role: partial(_status, clients[role], rule.method, paths[role], body)
            for role in matrix.ROLES})
        wrong = [role for role in matrix.ROLES if observed[role] != rule.expected(role)]
        if wrong:
            # The most telling cell first: a wrong status says more than a crash (500).
            role = min(wrong, key=lambda r: observed[r] >= 500)
            row = ", ".join(f"{r} {observed[r]}" + (f" (expected {rule.expected(r)})"
                                                    if r in wrong else "")
                            for r in matrix.ROLES)
            raise Fail(expected=f"{rule.method} {rule.path}: "
                                + ", ".join(f"{r} {rule.expected(r)}" for r in matrix.ROLES),
                       got=row,
                       hint=_matrix_hint(key, role, rule.expected(role), observed[role],
                                         rule.path.format(**reading)),
                       look=LOOK_MATRIX if role == "admin" else LOOK_OBJECTS)


# --- 04.b3 the login is throttled ----------------------------------------------------------------
def _throttle_hint(ctx: Context) -> str:
    """Why four wrong logins in a row were not refused: the rate, the view, or the cache."""
    from django.conf import settings
    from django.urls import Resolver404, resolve
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rate = (api_settings.DEFAULT_THROTTLE_RATES or {}).get("login")
    if rate is None:
        return ("there is no 'login' rate: REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] = {…, "
                "'login': env('THROTTLE_LOGIN_RATE', default='5/min')} in "
                "config/settings/base.py.")
    if rate != LOGIN_RATE:
        return (f"the check sets THROTTLE_LOGIN_RATE={LOGIN_RATE} and your 'login' rate is "
                f"{rate!r}: read it from the environment, 'login': env('THROTTLE_LOGIN_RATE', "
                "default='5/min').")
    try:
        view = getattr(resolve(OBTAIN).func, "cls", None)
    except Resolver404:
        view = None
    classes = list(getattr(view, "throttle_classes", None) or [])
    if getattr(view, "throttle_scope", None) != "login" or not any(
            isinstance(c, type) and issubclass(c, ScopedRateThrottle) for c in classes):
        return ("the JWT login view doesn't use the 'login' scope: give it throttle_classes = "
                "[ScopedRateThrottle] and throttle_scope = 'login' (a subclass of simplejwt's "
                "TokenObtainPairView in accounts/views.py).")
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith("DummyCache"):
        return ("DRF counts requests in the default cache, and DummyCache keeps nothing: use "
                "a cache that stores — Django's default keeps one per process; Redis (lesson "
                "05) is shared by every worker.")
    return ("four wrong passwords from one client in a minute must be refused (429): throttle "
            "the JWT login view with the 'login' scope, its rate from THROTTLE_LOGIN_RATE.")


#: The client the first 04.b3 contract got throttled, and the user it guessed at.
_throttled: dict[str, Any] = {}


@contract("04.b3")
def repeated_wrong_logins_from_one_client_get_429(ctx: Context) -> None:
    """With THROTTLE_LOGIN_RATE=3/min, a client's 4th login attempt in a minute is a 429 with
    Retry-After — even with the right password."""
    user = _user(ctx, "b3-guessed")
    client = _Client(ctx)
    answers = [client.post(OBTAIN, json=_credentials(user, f"guess-{n}")) for n in range(4)]
    statuses = [a.status_code for a in answers]
    if statuses[:3] != [401, 401, 401]:
        first = next(a for a in answers if a.status_code != 401)
        raise Fail(expected=f"with THROTTLE_LOGIN_RATE={LOGIN_RATE}: three wrong passwords get "
                            "401, 401, 401, the fourth 429",
                   got=f"{statuses}: {_shown(first)}",
                   hint="3/min allows three attempts in a minute; the 429 comes with the "
                        "fourth. A 401 is simplejwt's answer to a wrong password.",
                   look=LOOK_THROTTLE)
    if statuses[3] != 429:
        raise Fail(expected="the fourth attempt from the same client: 429 Too Many Requests",
                   got=f"{statuses}", hint=_throttle_hint(ctx), look=LOOK_THROTTLE)
    wait = answers[3].headers.get("Retry-After", "")
    if not wait.isdigit() or not 0 < int(wait) <= 60:
        raise Fail(expected="a Retry-After header: the seconds to wait, at most 60 for a "
                            "per-minute rate",
                   got=f"Retry-After: {wait!r}" if wait else "no Retry-After header",
                   hint="DRF's throttles set it (the exception handler copies Throttled.wait "
                        "into Retry-After): raise Throttled, don't build the 429 yourself.",
                   look=LOOK_THROTTLE)
    right = client.post(OBTAIN, json=_credentials(user))
    if right.status_code != 429:
        raise Fail(expected="the right password from the throttled client: 429 as well",
                   got=_shown(right),
                   hint="the throttle runs before the password is checked: a guesser who "
                        "found the password can't use it either until the budget refills. "
                        "Throttle the view (throttle_classes), not inside it.",
                   look=LOOK_THROTTLE)
    _throttled.update(client=client, user=user)


@contract("04.b3")
def the_budget_is_the_clients(ctx: Context) -> None:
    """The budget is the client's: the throttled client is refused for any username, another
    client still logs in, and a forged X-Forwarded-For buys no new budget."""
    # The client the previous contract throttled, within the same minute.
    client, guessed = _throttled["client"], _throttled["user"]
    other = _user(ctx, "b3-other")
    switched = client.post(OBTAIN, json=_credentials(other))
    if switched.status_code != 429:
        raise Fail(expected="after three wrong passwords, the same client is refused for "
                            "another username too: 429",
                   got=f"another username from the same client: {_shown(switched)}",
                   hint="count attempts per client (ScopedRateThrottle's key: the user id, or "
                        "the address for an anonymous request), not per username: a guesser "
                        "who tries one password on many accounts would never be slowed, and "
                        "anyone could lock a user out by guessing wrong in their name.",
                   look=LOOK_THROTTLE)
    elsewhere = _Client(ctx).post(OBTAIN, json=_credentials(guessed))
    if elsewhere.status_code != 200:
        raise Fail(expected="another client (another address) logs in as that user: 200",
                   got=_shown(elsewhere),
                   hint="the budget belongs to the client that spent it, not to the account: "
                        "key the throttle on the address (ScopedRateThrottle does).",
                   look=LOOK_NOT_A_BOUNDARY)
    forged = client.post(OBTAIN, json=_credentials(guessed),
                         headers={"X-Forwarded-For": _fresh_address()})
    if forged.status_code != 429:
        raise Fail(expected="the throttled client sending X-Forwarded-For: <another address> "
                            "is still refused: 429",
                   got=_shown(forged),
                   hint="with NUM_PROXIES unset DRF believes the whole X-Forwarded-For header, "
                        "so a client names a new address per request and gets a fresh budget. "
                        "REST_FRAMEWORK['NUM_PROXIES'] = env.int('DJANGO_NUM_PROXIES', "
                        "default=0): 0 proxies in front, the socket's address counts.",
                   look=LOOK_NOT_A_BOUNDARY)
