"""``payments.chapa.ChapaClient`` against the gateway at ``CHAPA_BASE_URL`` over real HTTP.

That is the course's Chapa sandbox when the course runs these tests (a test key, and a checkout
page a test may submit); without ``CHAPA_BASE_URL`` the tests that call it skip.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

import pytest
import requests
from django.conf import settings

from payments.chapa import (
    ChapaClient,
    ChapaNotConfigured,
    ChapaNotPaid,
    ChapaRejected,
    ChapaUnavailable,
)
from payments.webhooks import expected_signature, signature_is_valid


def ref() -> str:
    return f"test-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def client() -> ChapaClient:
    """The project's client, configured from the settings like the services' own."""
    if not os.environ.get("CHAPA_BASE_URL"):
        pytest.skip("needs a Chapa sandbox: set CHAPA_BASE_URL and CHAPA_SECRET_KEY (a test key)")
    return ChapaClient.from_settings()


def test_initialize_then_verify_a_paid_transaction(client):
    tx_ref = ref()
    checkout = client.initialize(tx_ref=tx_ref, amount=Decimal("1250.00"), currency="ETB",
                                 email="guest@example.com", title="Nexus Stays")
    assert checkout.startswith(settings.CHAPA_BASE_URL)
    with pytest.raises(ChapaNotPaid):
        client.verify(tx_ref)
    form = {"method": "card", "card_number": "4200000000000000", "expiry": "12/34", "cvv": "123"}
    requests.post(checkout, data=form, timeout=10)
    verification = client.verify(tx_ref)
    assert (verification.status, verification.tx_ref, verification.amount,
            verification.currency, verification.mode) == (
        "success", tx_ref, Decimal("1250"), "ETB", "test")


def test_rejections_carry_chapas_message(client):
    tx_ref = ref()
    client.initialize(tx_ref=tx_ref, amount=Decimal("10"), currency="ETB")
    with pytest.raises(ChapaRejected) as error:
        client.initialize(tx_ref=tx_ref, amount=Decimal("10"), currency="ETB")
    assert error.value.status_code == 400
    assert str(error.value) == "Transaction reference has been used before"


def test_an_unreachable_gateway_is_unavailable_not_a_crash():
    dead = ChapaClient(base_url="http://127.0.0.1:1", secret_key="CHASECK_TEST-x")
    with pytest.raises(ChapaUnavailable):
        dead.verify("anything")


def test_no_secret_key_refuses_to_call():
    with pytest.raises(ChapaNotConfigured):
        ChapaClient(base_url=settings.CHAPA_BASE_URL, secret_key="")


def test_signature_is_checked_over_the_exact_bytes():
    body = b'{"event":"charge.success","tx_ref":"abc","amount":"400.00"}'
    good = expected_signature(body=body, secret="k")
    assert signature_is_valid(body=body, signature=good, secret="k")
    assert not signature_is_valid(body=body.replace(b"400", b"4"), signature=good, secret="k")
    assert not signature_is_valid(body=b'{"event": "charge.success", "tx_ref": "abc", '
                                  b'"amount": "400.00"}', signature=good, secret="k")
    assert not signature_is_valid(body=body, signature=None, secret="k")
    assert not signature_is_valid(body=body, signature=good, secret="")
