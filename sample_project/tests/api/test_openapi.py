"""The API's OpenAPI schema, Swagger UI and ReDoc: valid, complete, served offline."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict:
    out = StringIO()
    # --validate checks it against the OpenAPI 3 spec; --fail-on-warn turns every
    # "could not guess the type of ..." into a failure, so the docs can't quietly rot.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_schema_is_served(api_client):
    response = api_client.get(reverse("api-schema"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nexus Stays API" in body
    assert "/api/listings/{id}/" in body


def test_every_endpoint_is_documented(schema):
    paths = set(schema["paths"])
    assert {
        "/api/listings/", "/api/listings/{id}/", "/api/listings/{id}/reviews/",
        "/api/bookings/", "/api/bookings/{id}/", "/api/bookings/{id}/cancel/",
        "/api/reviews/", "/api/auth/login/", "/api/auth/logout/", "/api/auth/token/",
        "/api/auth/jwt/", "/api/auth/jwt/refresh/", "/api/auth/jwt/verify/", "/api/auth/me/",
        "/api/auth/jwt/logout/", "/api/auth/me/delete/",
        "/api/threads/", "/api/threads/{id}/", "/api/threads/{id}/read/", "/api/messages/",
        "/api/messages/{id}/", "/api/messages/{id}/history/", "/api/messages/unread/",
        "/api/messages/unread-count/", "/api/notifications/",
    } <= paths  # fmt: skip
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), f"{where} has no summary"
        assert operation.get("tags") and operation["tags"][0] in {
            "listings", "bookings", "reviews", "auth", "wishlist", "messages"
        }, f"{where} has no tag"


def test_error_shapes_have_examples(schema):
    responses = schema["paths"]["/api/bookings/"]["post"]["responses"]
    conflict = responses["409"]["content"]["application/json"]
    assert next(iter(conflict["examples"].values()))["value"]["code"] == "booking_overlap"
    bad = responses["400"]["content"]["application/json"]
    assert "check_out" in next(iter(bad["examples"].values()))["value"]
    assert set(responses) >= {"201", "400", "401", "409"}


def test_jwt_security_scheme_is_offered(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["jwtAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {"tokenAuth", "cookieAuth"} <= set(schemes)
    me = schema["paths"]["/api/auth/me/"]["get"]
    assert {"jwtAuth": []} in me["security"]


def test_swagger_ui_is_served_from_local_static_files(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    page = response.content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in page
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"):
        assert cdn not in page
    # And the bundle really is served by us.
    asset = client.get(bundle)
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)


def test_redoc_loads_nothing_from_another_host(client):
    response = client.get(reverse("api-redoc"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "fonts.googleapis.com" not in page  # drf-spectacular's template links Google Fonts
    assert "http://" not in page and "https://" not in page  # nothing from another host
    assert f'<script src="{reverse("api-redoc-bundle")}">' in page
    # The bundle: the sidecar's ReDoc, less the Redocly logo from cdn.redoc.ly.
    bundle = client.get(reverse("api-redoc-bundle"))
    assert bundle.status_code == 200
    assert bundle["Content-Type"].startswith("text/javascript")
    assert bundle.content.startswith(b"/*! For license information please see redoc.standalone")
    assert b"cdn.redoc.ly" not in bundle.content
    assert b'alt:"redocly logo"' in bundle.content  # the logo's component is still there
    # A browser that has it revalidates: the same bytes answer 304.
    again = client.get(reverse("api-redoc-bundle"), HTTP_IF_NONE_MATCH=bundle["ETag"])
    assert again.status_code == 304


def test_the_site_has_a_favicon(client):
    # Browsers ask every page's origin for /favicon.ico unless the page names an icon, and
    # log a 404 as an error in the console; WhiteNoise serves it from config/root/.
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO


def test_a_thread_is_documented_as_a_recursive_tree(schema):
    node = schema["components"]["schemas"]["MessageNode"]
    assert node["properties"]["replies"]["items"] == {"$ref": "#/components/schemas/MessageNode"}
    thread = schema["paths"]["/api/threads/{id}/"]["get"]["responses"]["200"]
    assert thread["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ThreadDetail"}
