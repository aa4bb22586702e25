"""Listing text a host sends: one-line titles (they become email subjects), bounded text."""

import pytest

from listings.models import Listing
from testsupport.factories import HostFactory

pytestmark = pytest.mark.django_db

LISTING = {"title": "Quiet room", "description": "", "city": "gondar", "address": "Piazza 1",
           "price_per_night": "1500.00", "max_guests": 2}


@pytest.mark.parametrize("title", ["Quiet room\r\nBcc: everyone@example.org", "Two\nlines"])
def test_a_title_with_a_line_break_is_refused(client_for, title):
    response = client_for(HostFactory()).post("/api/listings/", {**LISTING, "title": title},
                                              format="json")
    assert response.status_code == 400 and "title" in response.json()
    assert not Listing.objects.exists()


def test_a_description_has_a_length_limit(client_for):
    host = client_for(HostFactory())
    too_long = host.post("/api/listings/", {**LISTING, "description": "x" * 5001}, format="json")
    assert too_long.status_code == 400 and "description" in too_long.json()
    fits = host.post("/api/listings/", {**LISTING, "description": "x" * 5000}, format="json")
    assert fits.status_code == 201
