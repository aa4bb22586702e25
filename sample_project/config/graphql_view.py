"""The /graphql endpoint: strawberry's Django view, authenticated exactly like the REST API.

Django's own middleware only knows the session cookie. API clients send
``Authorization: Bearer <JWT>`` (or ``Token <key>``), so this view runs the REST API's
authentication classes — the same list, in the same order, from
``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` — before strawberry sees the request.

CSRF is handled like DRF handles it: the view is exempt from Django's blanket check (a
client sending a Bearer token has no CSRF cookie and needs none: a hostile page can't make a
browser add that header), and ``SessionAuthentication`` enforces CSRF for the one case that
needs it, a request authenticated by the session cookie.
"""

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.settings import api_settings
from strawberry.django.views import GraphQLView


@method_decorator(csrf_exempt, name="dispatch")
class APIGraphQLView(GraphQLView):
    """strawberry's GraphQLView with the REST API's authentication in front."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        request.body  # noqa: B018 — read once so DRF's CSRF check and strawberry share it
        api_request = Request(
            request,
            parsers=[JSONParser(), FormParser(), MultiPartParser()],
            authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES],
        )
        try:
            request.user = api_request.user
        except exceptions.APIException as exc:  # a bad or expired token, a missing CSRF token
            detail = exc.detail.get("detail", exc.detail) if isinstance(exc.detail, dict) \
                else exc.detail
            code = "UNAUTHENTICATED" if exc.status_code == 401 else "FORBIDDEN"
            error = {"message": str(detail), "extensions": {"code": code}}
            return JsonResponse({"errors": [error]}, status=exc.status_code)
        return super().dispatch(request, *args, **kwargs)
