"""Authentication endpoints: session login, DRF token, JWT, and "who am I".

Three ways to prove who you are, each shown over real HTTP in lesson 04:

* Session: ``POST /api/auth/login/`` sets a ``sessionid`` cookie (plus ``csrftoken``);
  browsers send it back by themselves, so unsafe requests also need the
  ``X-CSRFToken`` header.
* DRF token: ``POST /api/auth/token/`` returns an opaque key stored in the database;
  send ``Authorization: Token <key>``. Valid until deleted.
* JWT: ``POST /api/auth/jwt/`` returns a signed access + refresh pair; send
  ``Authorization: Bearer <access>``. Its signature is checked without a token lookup, so
  an access token can't be revoked: it just expires (JWT_ACCESS_MINUTES), and
  ``/jwt/refresh/`` issues a new one, with a new refresh token (the old one is revoked).
  ``/jwt/logout/`` revokes a refresh token: simplejwt's ``token_blacklist`` app keeps the
  list that every refresh is checked against.

The endpoints that take a password share the ``login`` throttle scope (THROTTLE_LOGIN_RATE),
deleting your account (``POST /api/auth/me/delete/``) included.
"""

from django.contrib.auth import login, logout
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
)

from accounts.serializers import MeSerializer, PasswordConfirmSerializer, TokenSerializer
from accounts.services import user_delete
from config.openapi import THROTTLED, UNAUTHORIZED, conflict, validation_error
from config.parsers import JSONParser

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Seeded host", value={"username": "host001", "password": "nexus-demo-1234"},
    request_only=True,
)
BAD_CREDENTIALS = validation_error(
    {"non_field_errors": ["Unable to log in with provided credentials."]},
    description="Wrong username or password",
)
ME_EXAMPLE = OpenApiExample(
    "A host", value={"id": 2, "username": "host001", "role": "host"}, response_only=True
)


class LoginThrottleMixin:
    """Count requests per client in the ``login`` scope only (see THROTTLE_LOGIN_RATE).

    One shared scope for every password-taking endpoint: a guesser can't get three
    budgets by rotating between session, token and JWT logins.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


@extend_schema(tags=["auth"])
class SessionLoginView(LoginThrottleMixin, APIView):
    """Log in with a username and password; the session cookie carries the login."""

    permission_classes = [AllowAny]
    # JSON only. A hostile page can make a browser POST a form (urlencoded, multipart or
    # text/plain) to us without asking, and could log the victim into the attacker's
    # account ("login CSRF"); a cross-site JSON POST needs CORS approval we never give.
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Log in (session cookie)",
        description=(
            "Checks the password and starts a session: the response sets the `sessionid` "
            "and `csrftoken` cookies. Later unsafe requests (POST, PATCH, DELETE) made with "
            "the cookie must send the `csrftoken` value in the `X-CSRFToken` header."
        ),
        request=AuthTokenSerializer,
        responses={200: MeSerializer, 400: BAD_CREDENTIALS, 429: THROTTLED},
        examples=[CREDENTIALS_EXAMPLE, ME_EXAMPLE],
    )
    def post(self, request):
        credentials = AuthTokenSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        user = credentials.validated_data["user"]
        # login() also rotates the CSRF token, so the response carries a fresh csrftoken.
        login(request, user)
        return Response(MeSerializer(user).data)


@extend_schema(tags=["auth"])
class SessionLogoutView(APIView):
    """End the session (a no-op for a client that has none)."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Log out (session cookie)",
        description="Deletes the server-side session. Needs the X-CSRFToken header.",
        request=None,
        responses={204: OpenApiResponse(description="Logged out.")},
    )
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["auth"])
class ObtainTokenView(LoginThrottleMixin, ObtainAuthToken):
    """DRF's token endpoint, throttled. The same user always gets the same token."""

    # DRF's view names its parsers, JSON last; the same three, with our JSON parser.
    parser_classes = (FormParser, MultiPartParser, JSONParser)

    @extend_schema(
        summary="Get a DRF token",
        description=(
            "Exchanges a username and password for the user's token (created on first "
            "use). Send it as `Authorization: Token <token>`; it stays valid until deleted."
        ),
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 400: BAD_CREDENTIALS, 429: THROTTLED},
        examples=[
            CREDENTIALS_EXAMPLE,
            OpenApiExample(
                "Token", value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["auth"])
class JWTObtainView(LoginThrottleMixin, TokenObtainPairView):
    """simplejwt's obtain-pair view, throttled like the other logins."""

    @extend_schema(
        summary="Get a JWT access + refresh pair",
        description=(
            "Send the access token as `Authorization: Bearer <access>` until it expires "
            "(JWT_ACCESS_MINUTES, 5 by default); then trade the refresh token for a new "
            "one at `/api/auth/jwt/refresh/`. Wrong credentials: 401."
        ),
        examples=[CREDENTIALS_EXAMPLE],
        responses={
            200: TokenObtainPairSerializer,
            401: UNAUTHORIZED,
            429: THROTTLED,
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["auth"])
class JWTRefreshView(TokenRefreshView):
    """simplejwt's refresh view: a refresh token in, a new access and refresh token out."""

    @extend_schema(
        summary="Refresh a JWT access token",
        description=(
            "Returns a new access token and a new refresh token; the refresh token sent is "
            "revoked (ROTATE_REFRESH_TOKENS, BLACKLIST_AFTER_ROTATION), so each works once. "
            "An expired, tampered or revoked refresh token gets 401 `token_not_valid`."
        ),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["auth"])
class JWTLogoutView(TokenBlacklistView):
    """simplejwt's blacklist view: the refresh token sent can never be used again.

    Needs the token_blacklist app in INSTALLED_APPS: without it simplejwt's view answers
    200 and revokes nothing. The access token still works until it expires (minutes):
    the client deletes it.
    """

    @extend_schema(
        summary="Log out (JWT: revoke the refresh token)",
        description=(
            "Blacklists the refresh token: refreshing with it afterwards gets 401 "
            "`token_not_valid`. The access token is not revoked (it is never looked up): "
            "it stops working when it expires, so the client deletes it now."
        ),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["auth"])
class JWTVerifyView(TokenVerifyView):
    """simplejwt's verify view: 200 if the token's signature and expiry are good."""

    @extend_schema(
        summary="Verify a JWT",
        description="200 with an empty object if valid; 401 `token_not_valid` if not.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(tags=["auth"])
class MeView(APIView):
    """Who the request is authenticated as, whichever of the three methods it used."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The current user",
        responses={200: MeSerializer, 401: UNAUTHORIZED},
        examples=[ME_EXAMPLE],
    )
    def get(self, request):
        return Response(MeSerializer(request.user).data)


@extend_schema(tags=["auth"])
class DeleteUserView(LoginThrottleMixin, APIView):
    """Delete your own account, confirmed with your password.

    A POST with the password in the body, not a DELETE: content in a DELETE request "has no
    generally defined semantics" (RFC 9110, section 9.3.5), so proxies and clients may drop
    it, and OpenAPI tools (drf-spectacular among them) document no body for DELETE. The
    password is asked although the request is authenticated: a stolen access token must not
    be enough to erase an account. Throttled like the logins: it checks a password.
    """

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_me_delete",
        summary="Delete your account",
        description=(
            "Deletes the account you are logged in as, with what belongs only to it (your "
            "token, reviews, wishlist, messages and notifications); your refresh tokens stop "
            "working. An account with bookings or listings is kept as the business's "
            "records: 409."
        ),
        request=PasswordConfirmSerializer,
        responses={
            204: OpenApiResponse(description="Deleted."),
            400: validation_error({"password": ["Wrong password."]}),
            401: UNAUTHORIZED,
            409: conflict(
                {"detail": "This account has bookings, which are kept as the business's "
                           "records, so it can't be deleted.",
                 "code": "account_has_records"},
                "The account has bookings or listings.",
            ),
            429: THROTTLED,
        },
    )
    def post(self, request):
        data = PasswordConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_delete(user=request.user, password=data.validated_data["password"])
        # A session (if the request came with one) ends with the account.
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
