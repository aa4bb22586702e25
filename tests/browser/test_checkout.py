"""A real browser pays on Chapa's (sandbox) checkout page and lands on our return page.

Drives Debian's Chromium (``/usr/bin/chromium``, headless) with Playwright (see conftest.py).
Everything else is real too: the API under gunicorn, the sandbox's HTML checkout page, the
redirect back to us, the webhook, the worker that emails the receipt (see
``sample_project/testsupport/payments.py``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bookings.models import BookingStatus
from payments.models import PaymentStatus
from testsupport.payments import DECLINED, VISA

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_paying_with_the_test_visa_confirms_the_booking(page, stack, pay_in_the_browser):
    booking, payment = pay_in_the_browser(page, VISA)
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", "paid")
    expect(page.locator("#outcome")).to_have_text("Payment received")
    expect(page.locator("#booking")).to_have_attribute("data-status", "confirmed")
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.SUCCESS, BookingStatus.CONFIRMED)
    stack.worker.until(lambda: len(stack.sink.receipts(booking.guest.email)) == 1)
    assert payment.tx_ref in stack.sink.receipts(booking.guest.email)[0].body


def test_a_declined_card_fails_and_the_booking_stays_pending(page, stack, pay_in_the_browser):
    booking, payment = pay_in_the_browser(page, DECLINED)
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", "failed")
    expect(page.locator("#booking")).to_have_attribute("data-status", "pending")
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.FAILED, BookingStatus.PENDING)
    assert stack.sink.receipts(booking.guest.email) == []
