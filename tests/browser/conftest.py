"""What the browser tests share: Debian's Chromium driven by Playwright, a page that reports what
it must not do offline, and the processes a payment touches.

Playwright's Python package brings its own driver: no ``playwright install``, no downloaded
browser. Without the package or without Chromium, every test in this folder skips, saying why.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections
from playwright.sync_api import expect

from payments.models import Payment
from testsupport.payments import PaymentStack, future_booking, running_stack

# expect() waits 5 s by default: Swagger UI's and ReDoc's bundles took longer than that to
# render beside three other test streams on 2 cores. These tests are about what a page loads
# and shows, not how fast: its assertions wait as long as its actions do (15 s, below).
expect.set_options(timeout=15_000)

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the browser tests need Playwright: `.venv/bin/pip install -e '.[dev]'` "
           "(no `playwright install`: they drive /usr/bin/chromium)",
)
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and not shutil.which("chromium"):
    pytest.skip("the browser tests need Chromium at /usr/bin/chromium "
                "(Debian/Ubuntu: `apt-get install chromium`; .ci/run installs it)",
                allow_module_level=True)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

#: Hosts that are this machine. Every server the course starts binds 127.0.0.1.
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Playwright's sync API runs an asyncio loop in this thread to talk to its driver, and
    # Django then refuses ORM calls from it (as in a notebook). Our ORM calls are plain
    # sync code between browser steps, so the guard is lifted for the module's tests only.
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


def off_machine(url: str) -> bool:
    """True for a URL the browser would fetch from another host (``data:``, ``blob:``,
    ``about:`` URLs are made in the page itself)."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOOPBACK


@dataclass
class Trouble:
    """What a page did that an offline page must not: each entry says what and where."""

    off_machine: list[str] = field(default_factory=list)  # requests to another host
    console_errors: list[str] = field(default_factory=list)  # console.error, uncaught errors
    failed: list[str] = field(default_factory=list)  # requests that failed or got >= 400

    def __bool__(self) -> bool:
        return bool(self.off_machine or self.console_errors or self.failed)

    def clear(self) -> None:
        for found in (self.off_machine, self.console_errors, self.failed):
            found.clear()

    def report(self) -> str:
        return "\n".join(f"{kind}: {entry}" for kind, found in (
            ("off-machine request", self.off_machine), ("console error", self.console_errors),
            ("failed request", self.failed)) for entry in found)


@pytest.fixture
def watched_page(browser) -> Iterator[tuple[object, Trouble]]:
    """A page and the ``Trouble`` it runs into: every request to another host, every console
    error and uncaught exception, every failed request and every response of 400 or more.

    Requests to other hosts go to a proxy that isn't there, so they fail without leaving the
    machine and the test sees the same on a connected machine as offline. (A proxy, not
    Playwright's ``route``: with a route set, Chromium stops asking for /favicon.ico, and a
    real browser's missing-favicon 404 would go unseen.)
    """
    trouble = Trouble()
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
    # With loopback in the bypass list Playwright leaves loopback unproxied (crBrowser.ts).
    context = browser.new_context(proxy={"server": nowhere, "bypass": "127.0.0.1,localhost,[::1]"})

    def request_failed(request) -> None:
        if not off_machine(request.url):  # an off-machine one is reported as such
            trouble.failed.append(f"{request.method} {request.url}: {request.failure}")

    def response(response) -> None:
        if response.status >= 400:
            trouble.failed.append(f"{response.request.method} {response.url}: {response.status}")

    def console(message) -> None:
        if message.type == "error":
            trouble.console_errors.append(f"{message.text} (at {message.location['url']})")

    context.on("request", lambda request: off_machine(request.url)
               and trouble.off_machine.append(f"{request.method} {request.url}"))
    context.on("requestfailed", request_failed)
    context.on("response", response)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: trouble.console_errors.append(f"uncaught: {error}"))
    page.on("websocket", lambda websocket: off_machine(websocket.url)
            and trouble.off_machine.append(f"WebSocket {websocket.url}"))
    page.set_default_timeout(15_000)
    yield page, trouble
    context.close()


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    """More environment for the stack's server and worker; a module overrides it."""
    return {}


@pytest.fixture(scope="module")
def stack(request, stack_env, django_db_setup, django_db_blocker, tmp_path_factory
          ) -> Iterator[PaymentStack]:
    """Chapa sandbox, gunicorn, a Celery worker and SMTP on the test database, for the module."""
    with running_stack(request, django_db_blocker, tmp_path_factory.mktemp("checkout"),
                       **stack_env) as stack:
        yield stack


@pytest.fixture
def pay_in_the_browser(stack) -> Callable[[object, str], tuple]:
    """``pay(page, card)``: start a payment through the API, pay on the sandbox's checkout page
    in ``page``, land on our return page; returns (booking, payment)."""
    def pay(page, card: str) -> tuple:
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
    return pay
