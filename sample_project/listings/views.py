"""HTTP endpoints for listings: thin views over selectors."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from listings.selectors import listing_list
from listings.serializers import ListingSerializer

LISTING_EXAMPLE = OpenApiExample(
    "A listing in Addis Ababa",
    value={
        "id": 1,
        "title": "Sunny 2-bedroom apartment near Bole",
        "city": "addis-ababa",
        "price_per_night": "4250.00",
        "max_guests": 4,
        "bedrooms": 2,
        "host": {"id": 2, "username": "host001"},
        "average_rating": 4.33,
        "review_count": 3,
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List active listings",
        description=(
            "Active listings ordered by id, 20 per page. Use `page` to move through the "
            "results and `page_size` (at most 100) to change the page length."
        ),
        examples=[LISTING_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Get one listing",
        description="One active listing by id; 404 if it does not exist or is inactive.",
        examples=[LISTING_EXAMPLE],
    ),
)
class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    """Browse the catalogue of stays. Anyone may read it, signed in or not."""

    serializer_class = ListingSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return listing_list()
