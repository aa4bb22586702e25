"""Authentication over HTTP: session, DRF token, JWT (obtain, refresh, expiry), /me, throttling."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from testsupport.factories import TEST_PASSWORD, ListingFactory

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "host", "password": TEST_PASSWORD}
ME = "/api/auth/me/"


def me_as(client: APIClient) -> dict:
    response = client.get(ME)
    assert response.status_code == 200, response.content
    return response.json()


# --- session -----------------------------------------------------------------------------


def test_session_login_then_csrf_protected_writes(host):
    # A browser-like client: Django's CSRF checks on, as in production.
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/api/auth/login/", CREDENTIALS, format="json")

    assert response.status_code == 200
    assert response.json() == {"id": host.id, "username": "host", "role": "host"}
    assert "sessionid" in response.cookies and "csrftoken" in response.cookies
    assert me_as(client)["username"] == "host"

    listing = ListingFactory(host=host)
    url = f"/api/listings/{listing.id}/"
    # The cookie alone is not enough to write: a hostile page could make the browser
    # send it. The CSRF token, which only our pages can read, must come along.
    refused = client.patch(url, {"title": "Renamed"}, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    csrf = response.cookies["csrftoken"].value
    accepted = client.patch(url, {"title": "Renamed"}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 200

    logout = client.post("/api/auth/logout/", HTTP_X_CSRFTOKEN=csrf)
    assert logout.status_code == 204
    assert client.get(ME).status_code == 401


def test_session_login_accepts_only_json(host):
    # A form post is what a cross-site page can send without asking (login CSRF).
    response = APIClient().post("/api/auth/login/", CREDENTIALS)  # multipart
    assert response.status_code == 415


@pytest.mark.parametrize(
    "credentials",
    [{"username": "host", "password": "wrong"}, {"username": "nobody", "password": "x"},
     {"username": "host"}, {}],
)  # fmt: skip
def test_session_login_with_bad_credentials_is_a_400(host, credentials):
    response = APIClient().post("/api/auth/login/", credentials, format="json")
    assert response.status_code == 400
    assert "sessionid" not in response.cookies


# --- DRF token ---------------------------------------------------------------------------


def test_token_obtain_and_use(host):
    response = APIClient().post("/api/auth/token/", CREDENTIALS, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    # The same user gets the same token back: it lives in the database until deleted.
    again = APIClient().post("/api/auth/token/", CREDENTIALS, format="json").json()["token"]
    assert again == token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert me_as(client)["id"] == host.id

    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(ME).status_code == 401


def test_token_with_bad_credentials_is_a_400(host):
    response = APIClient().post(
        "/api/auth/token/", {"username": "host", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


# --- JWT ---------------------------------------------------------------------------------


def test_jwt_obtain_use_refresh_verify(host):
    pair = APIClient().post("/api/auth/jwt/", CREDENTIALS, format="json")
    assert pair.status_code == 200
    access, refresh = pair.json()["access"], pair.json()["refresh"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me_as(client)["role"] == "host"

    refreshed = APIClient().post("/api/auth/jwt/refresh/", {"refresh": refresh}, format="json")
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access"]
    assert new_access != access
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new_access}")
    assert me_as(client)["id"] == host.id

    verify = APIClient().post("/api/auth/jwt/verify/", {"token": new_access}, format="json")
    assert (verify.status_code, verify.json()) == (200, {})


def test_jwt_refresh_rotates_and_revokes_the_refresh_token_sent(host):
    refresh = APIClient().post("/api/auth/jwt/", CREDENTIALS, format="json").json()["refresh"]

    rotated = APIClient().post("/api/auth/jwt/refresh/", {"refresh": refresh}, format="json")

    assert rotated.status_code == 200
    assert sorted(rotated.json()) == ["access", "refresh"]
    assert rotated.json()["refresh"] != refresh
    # A refresh token works once: the one just traded in is on the blacklist.
    again = APIClient().post("/api/auth/jwt/refresh/", {"refresh": refresh}, format="json")
    assert (again.status_code, again.json()["code"]) == (401, "token_not_valid")
    newer = APIClient().post(
        "/api/auth/jwt/refresh/", {"refresh": rotated.json()["refresh"]}, format="json"
    )
    assert newer.status_code == 200


def test_jwt_logout_revokes_the_refresh_token(host):
    pair = APIClient().post("/api/auth/jwt/", CREDENTIALS, format="json").json()

    logout = APIClient().post("/api/auth/jwt/logout/", {"refresh": pair["refresh"]},
                              format="json")

    assert logout.status_code == 200
    refused = APIClient().post("/api/auth/jwt/refresh/", {"refresh": pair["refresh"]},
                               format="json")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_not_valid")
    assert "blacklisted" in refused.json()["detail"]
    # Revoked once is enough: a second logout with it is refused like any bad token.
    twice = APIClient().post("/api/auth/jwt/logout/", {"refresh": pair["refresh"]},
                             format="json")
    assert twice.status_code == 401
    # The access token is never looked up, so it works until it expires (minutes).
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me_as(client)["id"] == host.id


@pytest.mark.parametrize("body", [{"refresh": "garbage"}, {}])
def test_jwt_logout_without_a_valid_refresh_token_is_refused(body):
    response = APIClient().post("/api/auth/jwt/logout/", body, format="json")
    assert response.status_code == (401 if body else 400)


def test_expired_access_token_is_401_token_not_valid(host):
    token = AccessToken.for_user(host)
    # Issued an hour ago with the normal (5 minute) lifetime: long expired.
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response["WWW-Authenticate"].startswith("Bearer")
    verify = APIClient().post("/api/auth/jwt/verify/", {"token": str(token)}, format="json")
    assert (verify.status_code, verify.json()["code"]) == (401, "token_not_valid")


def test_tampered_token_and_wrong_password(host):
    token = str(AccessToken.for_user(host))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-4]}AAAA")
    assert client.get(ME).json()["code"] == "token_not_valid"

    response = APIClient().post(
        "/api/auth/jwt/", {"username": "host", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    bad = APIClient().post("/api/auth/jwt/refresh/", {"refresh": "garbage"}, format="json")
    assert (bad.status_code, bad.json()["code"]) == (401, "token_not_valid")


def test_access_lifetime_comes_from_settings(host, settings):
    token = AccessToken.for_user(host)
    assert token["exp"] - token["iat"] == 5 * 60  # JWT_ACCESS_MINUTES default


def test_me_anonymous_is_401():
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- throttling --------------------------------------------------------------------------


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test.

    DRF copies DEFAULT_THROTTLE_RATES onto the throttle class when it is imported, so
    override_settings can't change them; patch the class attribute instead.
    """

    def set_rates(**scopes: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes}
        )

    return set_rates


@pytest.mark.parametrize("path", ["/api/auth/login/", "/api/auth/token/", "/api/auth/jwt/"])
def test_login_endpoints_are_throttled_with_retry_after(host, rates, path):
    rates(login="3/min")
    client = APIClient()
    statuses = [
        client.post(path, {"username": "host", "password": "guess"}, format="json").status_code
        for _ in range(4)
    ]

    assert statuses[:3] == [401 if path.endswith("jwt/") else 400] * 3
    assert statuses[3] == 429
    response = client.post(path, CREDENTIALS, format="json")  # even the right password
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"]


def test_the_three_logins_share_one_budget(host, rates):
    rates(login="2/min")
    # Fresh clients from one address: a logged-in session would be counted per user.
    for path, expected in [("login", 200), ("token", 200), ("jwt", 429)]:
        response = APIClient().post(f"/api/auth/{path}/", CREDENTIALS, format="json")
        assert response.status_code == expected


def test_anonymous_reads_are_throttled_per_ip(rates, client_for, host):
    rates(anon="2/min")
    anonymous = APIClient()
    assert [anonymous.get("/api/listings/").status_code for _ in range(3)] == [200, 200, 429]
    # Another address has its own budget; a logged-in user is counted as a user.
    other_ip = APIClient(REMOTE_ADDR="10.0.0.7")
    assert other_ip.get("/api/listings/").status_code == 200
    assert client_for(host).get("/api/listings/").status_code == 200


def test_throttle_state_lives_in_the_shared_cache(rates):
    rates(anon="1/min")
    APIClient().get("/api/listings/")
    throttle = AnonRateThrottle()
    # What DRF stored: the request timestamps under a key built from scope and IP.
    assert len(throttle.cache.get("throttle_anon_127.0.0.1")) == 1
    assert ScopedRateThrottle.cache is throttle.cache


def test_a_forged_forwarded_for_does_not_reset_the_login_budget(host, rates):
    """With no proxy in front (DJANGO_NUM_PROXIES=0) X-Forwarded-For is not believed."""
    rates(login="2/min")
    client = APIClient()
    for _ in range(2):
        client.post("/api/auth/jwt/", {"username": "host", "password": "guess"}, format="json")
    forged = client.post("/api/auth/jwt/", CREDENTIALS, format="json",
                         HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert forged.status_code == 429
