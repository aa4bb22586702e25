"""``listing_card``: the list page's cards, built by hand, are ``ListingSerializer``'s output.

The serializer is the contract (the OpenAPI schema, the detail view's base); the list page
builds its cards without it, for speed. These tests keep the two the same, down to the JSON
bytes (key order included), for every kind of listing a page can show.
"""

from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from listings.selectors import listing_list
from listings.serializers import LISTING_CARD_FIELDS, ListingSerializer, listing_card
from testsupport.factories import ListingFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page():
    """Listings with 3 reviews (a mean with a repeating decimal), one review, and none."""
    rated = ListingFactory(price_per_night=Decimal("4250.50"))
    for rating in (5, 4, 4):
        ReviewFactory(booking__listing=rated, rating=rating)
    ReviewFactory(booking__listing=ListingFactory(price_per_night=Decimal("900")), rating=3)
    ListingFactory()
    return listing_list()


def test_a_card_is_the_serializer_output_byte_for_byte(page):
    listings = list(page)
    render = JSONRenderer().render
    assert [listing_card(listing) for listing in listings] == ListingSerializer(
        listings, many=True).data
    assert render([listing_card(listing) for listing in listings]) == render(
        ListingSerializer(listings, many=True).data)
    first, second, third = (listing_card(listing) for listing in listings)
    assert (first["price_per_night"], first["average_rating"], first["review_count"]) == (
        "4250.50", 4.33, 3)
    assert (second["price_per_night"], second["average_rating"]) == ("900.00", 3.0)
    assert (third["average_rating"], third["review_count"]) == (None, 0)


def test_cards_read_only_the_columns_the_list_page_loads(page, django_assert_num_queries):
    # The list page loads LISTING_CARD_FIELDS only (.only()): a card that read another field
    # would send one more query per listing to load it.
    with django_assert_num_queries(1):
        cards = [listing_card(listing) for listing in page.only(*LISTING_CARD_FIELDS)]
    assert cards == [listing_card(listing) for listing in page]
