"""Root URLconf: the admin, the REST API and its OpenAPI documentation, payment pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from accounts.throttles import throttle_password_posts
from config.api_docs import redoc_bundle
from config.graphql_view import APIGraphQLView
from config.health import healthz
from config.schema import schema

urlpatterns = [
    # Liveness and readiness for load balancers and Docker: database, cache, broker.
    path("healthz", healthz, name="healthz"),
    # The admin's login form takes a password: throttled like the API's logins (before the
    # admin's own URLs, which would match the path first).
    path("admin/login/", throttle_password_posts(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_router")),
    # The page Chapa sends the payer back to (HTML, outside the API).
    path("payments/", include("payments.urls")),
    # OpenAPI 3 schema (YAML by default, ?format=json for JSON) and two UIs that read it.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # ReDoc's page without Google Fonts, and its bundle without the logo from cdn.redoc.ly
    # (config/api_docs.py): the docs load nothing from another host.
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema",
                                                    template_name="api_docs/redoc.html"),
         name="api-redoc"),
    path("api/redoc/bundles/redoc.standalone.js", redoc_bundle, name="api-redoc-bundle"),
    # GraphQL (lesson 08): one endpoint for every query and mutation. GraphiQL, the in-browser
    # IDE a GET from a browser gets, is served from our own static files (vendored, see
    # config/graphql_view.py). It is on only with DEBUG: an IDE is a developer's tool. That
    # hides no schema: introspection still answers in production.
    path("graphql", APIGraphQLView.as_view(schema=schema,
                                           graphql_ide="graphiql" if settings.DEBUG else None),
         name="graphql"),
]
