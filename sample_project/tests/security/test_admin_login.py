"""The Django admin's login form is throttled like the API's logins (issue 17).

Choice: a refused attempt gets **429 with Retry-After**, not the form with an error. It is
the status the API's login throttle answers, a client (or a monitoring rule) can tell it
from a wrong password, and it is decided before any password is hashed.
"""

from __future__ import annotations

import re

import pytest

from testsupport.factories import UserFactory
from testsupport.production import ProductionServer, production_env

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/admin/login/"


def attempt(server, username: str, password: str, headers: dict | None = None):
    """GET the form (for the CSRF cookie and token), then POST it, as a browser would."""
    form = server.request("GET", LOGIN, headers=headers or {})
    csrf_cookie = form.cookies["__Secure-csrftoken"]  # Secure: sent back by hand over http
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return server.request(
        "POST", LOGIN,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token,
              "next": "/admin/"},
        headers={**(headers or {}), "Cookie": f"__Secure-csrftoken={csrf_cookie}",
                 "Origin": f"https://127.0.0.1:{server.port}",
                 "Referer": server.url(LOGIN).replace("http:", "https:")})


def test_wrong_passwords_for_the_staff_account_are_refused_after_the_login_rate(production):
    UserFactory(username="staff", is_staff=True, is_superuser=True)
    answers = [attempt(production, "staff", f"guess-{n}") for n in range(5)]  # 5/min
    assert [a.status_code for a in answers] == [200] * 5
    assert all("Please enter the correct username and password" in a.text for a in answers)
    refused = attempt(production, "staff", "guess-6")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_the_budget_is_per_username_too(static_root):
    """Behind one proxy (NUM_PROXIES=1) each attempt comes from another address, as from a
    botnet: the per-address budget never runs out, the username's does."""
    UserFactory(username="staff", is_staff=True)
    server = ProductionServer(production_env(static_root, DJANGO_NUM_PROXIES="1"))
    try:
        def from_address(n: int, username: str):
            return attempt(server, username, f"guess-{n}",
                           headers={"X-Forwarded-For": f"203.0.113.{n}"})

        assert [from_address(n, "staff").status_code for n in range(5)] == [200] * 5
        assert from_address(6, "STAFF ").status_code == 429  # same account, however spelt
        assert from_address(7, "someone-else").status_code == 200
    finally:
        server.stop()
