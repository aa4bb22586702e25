"""HTTP endpoints for listings: thin views over selectors and services.

Each write follows the same three steps: an input serializer checks the request's
shape, a service applies the business rules and saves, an output serializer renders
the result. Errors raised by services become 400/409 in config.exceptions, so no
view catches them. (Why 404 for some objects and 403 for others: see bookings.views.)
Reviews rate stays, so their endpoints are in bookings.views, the listing's reviews
(``GET /api/listings/<id>/reviews/``) included: listings can't import them.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from config.openapi import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, conflict, validation_error
from listings.cache import cached_response, listing_cards
from listings.filters import ListingFilter
from listings.permissions import IsHostOrAdminOrReadOnly, IsListingHostOrAdminOrReadOnly
from listings.selectors import listing_list_visible_to
from listings.serializers import (
    LISTING_CARD_FIELDS,
    ListingDetailSerializer,
    ListingInputSerializer,
    ListingSerializer,
)
from listings.services import listing_create, listing_delete, listing_update

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
LISTING_DETAIL_EXAMPLE = OpenApiExample(
    "One listing",
    value={
        **LISTING_EXAMPLE.value,
        "description": "Bright apartment, ten minutes from the airport.",
        "address": "House 12, Bole, Addis Ababa",
        "is_active": True,
    },
    response_only=True,
)
LISTING_INPUT_EXAMPLE = OpenApiExample(
    "A new listing",
    value={
        "title": "Lakeside room in Bahir Dar",
        "description": "Quiet room with a view of Lake Tana.",
        "city": "bahir-dar",
        "address": "Kebele 4, Bahir Dar",
        "price_per_night": "1800.00",
        "max_guests": 2,
        "bedrooms": 1,
    },
    request_only=True,
)
LISTING_INVALID = validation_error(
    {"price_per_night": ["Ensure this value is greater than or equal to 1."],
     "city": ['"paris" is not a valid choice.']}
)  # fmt: skip
SEARCH_INVALID = validation_error(
    {"check_out": ["Check-out must be after check-in."], "guests": ["Enter a whole number."]},
    description="A bad query parameter",
)


@extend_schema_view(
    list=extend_schema(
        summary="Search listings",
        description=(
            "Active listings (plus your own inactive ones if you are a host; all if admin), "
            "20 per page; `page_size` up to 100. Filter by `city`, price, party size and "
            "free dates (`check_in` and `check_out` together: only listings with no "
            "pending or confirmed booking overlapping the stay)."
        ),
        responses={200: ListingSerializer(many=True), 400: SEARCH_INVALID},
        examples=[LISTING_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Get one listing",
        description="404 if it doesn't exist, or is inactive and not yours.",
        responses={200: ListingDetailSerializer, 404: NOT_FOUND},
        examples=[LISTING_DETAIL_EXAMPLE],
    ),
    create=extend_schema(
        summary="Publish a listing (hosts)",
        description="The listing's host is you. Guests get 403, anonymous clients 401.",
        request=ListingInputSerializer,
        responses={
            201: ListingDetailSerializer,
            400: LISTING_INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
        examples=[LISTING_INPUT_EXAMPLE, LISTING_DETAIL_EXAMPLE],
    ),
    update=extend_schema(
        summary="Replace a listing (its host or an admin)",
        request=ListingInputSerializer,
        responses={
            200: ListingDetailSerializer,
            400: LISTING_INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[LISTING_INPUT_EXAMPLE, LISTING_DETAIL_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a listing (its host or an admin)",
        description="E.g. `{\"is_active\": false}` takes it out of search results.",
        request=ListingInputSerializer,
        responses={
            200: ListingDetailSerializer,
            400: LISTING_INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample("New price", value={"price_per_night": "2100.00"}, request_only=True),
            LISTING_DETAIL_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Delete a listing that was never booked (its host or an admin)",
        description="A listing with bookings is kept for the records: 409, deactivate it.",
        responses={
            204: None,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: conflict(
                {
                    "detail": "This listing has bookings and can't be deleted; deactivate "
                    "it instead (is_active: false).",
                    "code": "listing_has_bookings",
                },
                "The listing has bookings.",
            ),
        },
    ),
)
@extend_schema(tags=["listings"])
class ListingViewSet(viewsets.ModelViewSet):
    """Browse and search the catalogue; hosts manage their own listings."""

    # Role first (anonymous → 401, guest → 403), then ownership on the object.
    permission_classes = [IsHostOrAdminOrReadOnly, IsListingHostOrAdminOrReadOnly]
    filterset_class = ListingFilter

    def get_queryset(self):
        listings = listing_list_visible_to(user=self.request.user)
        if self.action == "list":
            return listings.only(*LISTING_CARD_FIELDS)  # a page of cards reads nothing else
        return listings

    def get_serializer_class(self):
        if self.action == "list":
            return ListingSerializer
        if self.action in {"create", "update", "partial_update"}:
            return ListingInputSerializer
        return ListingDetailSerializer

    # Reads are cached in Redis (listings/cache.py): the whole response per URL and
    # credentials, and on a miss each listing's card. Writes invalidate both on commit
    # (listings/signals.py; bookings/signals.py for bookings), so a change shows on the
    # very next request.
    @cached_response
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(listing_cards(page))

    @cached_response
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def create(self, request):
        data = ListingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listing = listing_create(host=request.user, **data.validated_data)
        return Response(self._detail(listing.pk), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        listing = self.get_object()  # 404 if not visible, 403 if not yours
        data = ListingInputSerializer(listing, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        listing_update(listing=listing, data=data.validated_data)
        return Response(self._detail(listing.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        listing_delete(listing=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _detail(self, listing_id: int) -> dict:
        """The listing as GET would show it, rating summary included."""
        listing = listing_list_visible_to(user=self.request.user).get(pk=listing_id)
        return ListingDetailSerializer(listing).data

    def filter_queryset(self, queryset):
        # Search parameters are for the list; on /listings/<id>/ they'd turn a listing
        # that exists into a confusing 404.
        if self.action != "list":
            return queryset
        # The bare catalogue, the page most visitors ask for, has nothing to filter. With no
        # search parameter every filter is a no-op, but django-filter would still copy the
        # filters, build a form class and validate a form for this request.
        if not self.request.query_params.keys() & ListingFilter.base_filters.keys():
            return queryset
        return super().filter_queryset(queryset)
