"""A cached per-user page is not served to a cookie whose session is dead (issue 17)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from testsupport.factories import ListingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    """A real session for ``user`` (in the database the server reads), as its cookie value."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.parametrize("ending", ["logout", "deactivation"])
def test_a_dead_session_cookie_gets_the_anonymous_page(production, ending):
    hidden = ListingFactory(is_active=False, title="Closed for the rainy season")
    ListingFactory()
    cookie = {"Cookie": f"__Secure-sessionid={session_cookie(hidden.host)}"}

    as_host = production.request("GET", "/api/listings/", headers=cookie).json()
    assert as_host["count"] == 2  # the host's inactive listing, cached now under this cookie
    if ending == "logout":
        Session.objects.all().delete()  # what logout() does on the server
    else:
        hidden.host.__class__.objects.filter(pk=hidden.host.pk).update(is_active=False)
    again = production.request("GET", "/api/listings/", headers=cookie).json()
    assert again["count"] == 1
    assert "Closed for the rainy season" not in str(again)
