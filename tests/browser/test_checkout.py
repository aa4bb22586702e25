"""A real browser pays on Chapa's (sandbox) checkout page and lands on our return page.

Drives Debian's Chromium (``/usr/bin/chromium``, headless) with Playwright, whose Python package
brings its own driver: no ``playwright install``, no downloaded browser. Everything else is real
too: the API under gunicorn, the sandbox's HTML checkout page, the redirect back to us, the webhook,
the worker that emails the receipt (see ``sample_project/testsupport/payments.py``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from bookings.models import BookingStatus
from payments.models import Payment, PaymentStatus
from testsupport.payments import DECLINED, VISA, PaymentStack, future_booking, running_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser test needs Playwright: `.venv/bin/pip install -e '.[dev]'` "
           "(no `playwright install`: it drives /usr/bin/chromium)",
)
if not CHROMIUM.exists() and not shutil.which("chromium"):
    pytest.skip("the browser test needs Chromium at /usr/bin/chromium "
                "(Debian/Ubuntu: `apt-get install chromium`; .ci/run installs it)",
                allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def stack(request, django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[PaymentStack]:
    with running_stack(request, django_db_blocker, tmp_path_factory.mktemp("checkout")) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Playwright's sync API runs an asyncio loop in this thread to talk to its driver, and
    # Django then refuses ORM calls from it (as in a notebook). Our ORM calls are plain
    # sync code between browser steps, so the guard is lifted for this module only.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield from _chromium()


def _chromium() -> Iterator[object]:
    # That loop also hides this thread's database connections. Django keeps them in an
    # asgiref Local, which stores them per thread while no loop runs in it and per context
    # while one does: from sync_playwright() on, `connections` is a second, empty set, and
    # the connection of the test database's creation and of earlier tests stays open unseen
    # (neither pytest-django's flush nor the close after each transactional test reaches it),
    # until the loop stops. So each set is closed before it goes out of sight.
    connections.close_all()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
        connections.close_all()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def pay_in_the_browser(page, stack: PaymentStack, card: str):
    """Start a payment through the API, pay on the checkout page; returns (booking, payment)."""
    booking = future_booking()
    response = stack.start_payment(booking)
    assert response.status_code == 201, response.text
    payment = Payment.objects.get(tx_ref=response.json()["tx_ref"])
    page.goto(response.json()["checkout_url"])
    sync_api.expect(page.locator("#amount")).to_have_text(f"{booking.total_price:,.2f} ETB")
    sync_api.expect(page.locator("#title")).to_have_text("Nexus Stays")
    page.fill("#card_number", card)
    page.fill("#expiry", "12/34")
    page.fill("#cvv", "123")
    with page.expect_navigation(url=f"**/payments/return/{payment.tx_ref}/"):
        page.click("#pay-card")
    return booking, payment


def test_paying_with_the_test_visa_confirms_the_booking(page, stack):
    booking, payment = pay_in_the_browser(page, stack, VISA)
    sync_api.expect(page.locator("#outcome")).to_have_attribute("data-outcome", "paid")
    sync_api.expect(page.locator("#outcome")).to_have_text("Payment received")
    sync_api.expect(page.locator("#booking")).to_have_attribute("data-status", "confirmed")
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.SUCCESS, BookingStatus.CONFIRMED)
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    assert payment.tx_ref in stack.sink.receipts(booking.guest.email)[0].body


def test_a_declined_card_fails_and_the_booking_stays_pending(page, stack):
    booking, payment = pay_in_the_browser(page, stack, DECLINED)
    sync_api.expect(page.locator("#outcome")).to_have_attribute("data-outcome", "failed")
    sync_api.expect(page.locator("#booking")).to_have_attribute("data-status", "pending")
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.FAILED, BookingStatus.PENDING)
    assert stack.sink.receipts(booking.guest.email) == []
