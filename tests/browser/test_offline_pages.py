"""Every page the project serves works offline: it loads nothing from another host.

A course that runs "offline after install" can't have a docs page that asks Google for fonts or a
CDN for a logo: offline the request fails with a console error, online it tells a third party
who reads which docs. So each page is opened in Chromium (see conftest.py) from the project
under gunicorn, with DEBUG on as in the course (GraphiQL is served only then), and the test
asserts that it rendered its real content and that it made no request to another host, logged
no console error and had no request fail. Requests to other hosts are aborted, not sent: the
test sees the same on a connected machine and tells no one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from listings.models import Listing
from testsupport.factories import TEST_PASSWORD, BookingFactory, UserFactory
from testsupport.payments import VISA

# What a page loads from other hosts is the same whichever services are configured.
pytestmark = [pytest.mark.slow, pytest.mark.any_profile, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {"DJANGO_DEBUG": "true"}


def swagger_ui(page) -> None:
    # Swagger UI lists the schema's operations; /api/listings/ is the first tag's.
    expect(page.locator(".opblock-summary-path[data-path='/api/listings/']").first).to_be_visible()


def redoc(page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nexus Stays API")
    # The side menu's footer, whose logo ReDoc's bundle fetches from cdn.redoc.ly.
    expect(page.get_by_text("API docs by Redocly")).to_be_visible()


def graphiql(page) -> None:
    expect(page.locator(".graphiql-container .graphiql-query-editor")).to_be_visible()
    # The schema arrived (GraphiQL's introspection query), so the docs explorer can open.
    page.get_by_role("button", name="Show Documentation Explorer").click()
    expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")


def api_root(page) -> None:
    # DRF's browsable API, what a browser gets from /api/.
    expect(page.locator(".breadcrumb")).to_contain_text("Api Root")
    expect(page.locator(".response-info")).to_contain_text('"listings"')


def admin_login(page) -> None:
    expect(page.locator("#id_username")).to_be_visible()


PUBLIC_PAGES: dict[str, tuple[str, Callable[[object], None]]] = {
    "swagger-ui": ("/api/docs/", swagger_ui),
    "redoc": ("/api/redoc/", redoc),
    "graphiql": ("/graphql", graphiql),
    "api-root": ("/api/", api_root),
    "admin-login": ("/admin/login/", admin_login),
}


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_a_public_page_loads_nothing_from_another_host(watched_page, stack, name):
    page, trouble = watched_page
    path, rendered = PUBLIC_PAGES[name]
    page.goto(stack.server.url(path))
    rendered(page)
    page.wait_for_load_state("networkidle")  # what loads late (a logo, a schema) counts too
    assert not trouble, f"{path}:\n{trouble.report()}"


def log_in_to_the_admin(page, stack) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    page.goto(stack.server.url("/admin/login/"))
    page.fill("#id_username", admin.username)
    page.fill("#id_password", TEST_PASSWORD)
    with page.expect_navigation(url=re.compile(r"/admin/$")):
        page.click("input[type=submit]")


def test_the_admin_loads_nothing_from_another_host(watched_page, stack):
    page, trouble = watched_page
    booking = BookingFactory()
    log_in_to_the_admin(page, stack)
    pages = {
        "/admin/": lambda: expect(page.locator("#site-name")).to_be_visible(),
        "/admin/listings/listing/": lambda: expect(page.locator("#result_list")).to_contain_text(
            Listing.objects.get(pk=booking.listing_id).title),
        # A change form: the date widgets and the autocomplete's select2, from admin's static.
        f"/admin/bookings/booking/{booking.pk}/change/": lambda: expect(
            page.locator("#booking_form .select2-container").first).to_be_visible(),
    }
    for path, rendered in pages.items():
        page.goto(stack.server.url(path))
        rendered()
        page.wait_for_load_state("networkidle")
        assert not trouble, f"{path}:\n{trouble.report()}"


def test_paying_loads_nothing_from_another_host(watched_page, stack, pay_in_the_browser):
    # The sandbox's checkout page (Chapa's, on this machine) and our return page.
    page, trouble = watched_page
    pay_in_the_browser(page, VISA)
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", "paid")
    page.wait_for_load_state("networkidle")
    assert not trouble, f"{page.url}:\n{trouble.report()}"
