"""The payment return page is public: it must show nothing about who paid (issue 17)."""

from __future__ import annotations

import re

import pytest

from bookings.models import BookingStatus
from demo.seed import seed_demo_data
from payments.models import Payment, PaymentStatus
from testsupport.factories import BookingFactory, PaymentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_anyone_with_the_url_sees_the_outcome_and_nothing_about_the_payer(production):
    booking = BookingFactory(status=BookingStatus.CONFIRMED,
                             guest__email="selam.private@example.org")
    payment = PaymentFactory(booking=booking, status=PaymentStatus.SUCCESS)  # settled: no verify
    page = production.request("GET", f"/payments/return/{payment.tx_ref}/")
    assert page.status_code == 200 and 'data-outcome="paid"' in page.text
    assert "selam.private" not in page.text and "@" not in page.text
    assert booking.listing.title not in page.text  # what was booked is the guest's business
    assert str(payment.amount) not in page.text


def test_seeded_payment_references_cannot_be_enumerated():
    seed_demo_data(listings=8, seed=3)
    refs = list(Payment.objects.values_list("tx_ref", flat=True))
    assert refs
    assert all(re.fullmatch(r"seed-[0-9a-f]{24}", ref) for ref in refs), refs[:3]
    # Not a counter in disguise: neighbouring attempts share no long prefix.
    assert len({ref[:9] for ref in refs}) > len(refs) // 2


def test_the_guests_own_session_sees_what_was_booked(client):
    booking = BookingFactory(status=BookingStatus.CONFIRMED)
    payment = PaymentFactory(booking=booking, status=PaymentStatus.SUCCESS)
    client.force_login(booking.guest)
    page = client.get(f"/payments/return/{payment.tx_ref}/").content.decode()
    assert booking.listing.title in page and "the email address on your account" in page
