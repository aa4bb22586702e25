"""The /graphql endpoint: strawberry's Django view, authenticated exactly like the REST API.

Django's own middleware only knows the session cookie. API clients send
``Authorization: Bearer <JWT>`` (or ``Token <key>``), so this view runs the REST API's
authentication classes — the same list, in the same order, from
``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` — before strawberry sees the request.

CSRF is handled like DRF handles it: the view is exempt from Django's blanket check (a
client sending a Bearer token has no CSRF cookie and needs none: a hostile page can't make a
browser add that header), and ``SessionAuthentication`` enforces CSRF for the one case that
needs it, a request authenticated by the session cookie.

Throttling is the REST API's too: ``DEFAULT_THROTTLE_CLASSES`` with the rates from
``DEFAULT_THROTTLE_RATES`` (anonymous clients per address, users per account), counted in
the same cache. Without it one client could hold every worker with expensive queries; a
refused request gets 429, ``Retry-After`` and a GraphQL error with the code ``THROTTLED``.
"""

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.settings import api_settings
from strawberry.django.views import GraphQLView

from config.parsers import JSONParser
from config.throttling import throttle_wait

#: The CDN files strawberry's GraphiQL page loads → our vendored copies (config/static/graphiql/).
#: Byte-identical, so the page's integrity="sha384-…" attributes still hold: the IDE works
#: offline and runs no script fetched from a third party at page load.
VENDORED_GRAPHIQL = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js":
        "graphiql/react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js":
        "graphiql/react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "graphiql/js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql/graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css":
        "graphiql/plugin-explorer.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql/graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js":
        "graphiql/plugin-explorer.umd.js",
}


@method_decorator(csrf_exempt, name="dispatch")
class APIGraphQLView(GraphQLView):
    """strawberry's GraphQLView with the REST API's authentication in front."""

    @property
    def graphql_ide_html(self) -> str:
        """strawberry's GraphiQL page, loading its JavaScript and CSS from our static files."""
        html = super().graphql_ide_html
        for remote, local in VENDORED_GRAPHIQL.items():
            html = html.replace(remote, static(local))
        return html

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
            return graphql_error(str(detail), code=code, status=exc.status_code)
        wait = throttle_wait([throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES],
                             api_request, self)
        if wait is not None:
            response = graphql_error(str(exceptions.Throttled(wait).detail), code="THROTTLED",
                                     status=429)
            response["Retry-After"] = str(wait)
            return response
        if request.method == "POST":
            # strawberry assumes a body it can decode into an object: anything else (bytes
            # that aren't UTF-8, a bare number, JSON nested too deep) crashed it with a 500.
            try:
                body = api_request.data
            except exceptions.ParseError as exc:
                return graphql_error(str(exc.detail), code="BAD_REQUEST", status=400)
            if not isinstance(body, dict):
                return graphql_error("The request body must be a JSON object with a `query`.",
                                     code="BAD_REQUEST", status=400)
        return super().dispatch(request, *args, **kwargs)


def graphql_error(message: str, *, code: str, status: int) -> JsonResponse:
    """A GraphQL-shaped error for a request refused before strawberry runs it."""
    error = {"message": message, "extensions": {"code": code}}
    return JsonResponse({"errors": [error]}, status=status)
