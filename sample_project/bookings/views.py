"""HTTP endpoints for bookings and their reviews: thin views over bookings.selectors and
bookings.services.

404 or 403? One rule for the whole API:

* A booking you may not *see* is a **404**, exactly like an id that doesn't exist. The
  queryset (``booking_list_visible_to``) already leaves it out, so ``get_object()``
  finds nothing. Answering 403 instead would confirm that booking 1234 exists, and
  let anyone count bookings by walking the ids.
* A booking you may see but not *change* is a **403**: hiding it would be pointless,
  you just saw it. The listing's host can read a booking at their listing, but only
  the guest (or an admin) may cancel it — the host gets 403, someone else gets 404.

Listings follow the same rule: active listings are public, so changing another host's
listing is a 403; another host's inactive listing is invisible, so it is a 404.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bookings.permissions import IsBookingGuestOrAdmin
from bookings.selectors import booking_list_visible_to, review_list
from bookings.serializers import (
    BookingInputSerializer,
    BookingSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
)
from bookings.services import booking_cancel, booking_create, review_create
from config.openapi import FORBIDDEN, NOT_FOUND, UNAUTHORIZED, conflict, validation_error
from listings.cache import cached_response
from listings.selectors import listing_list_visible_to

BOOKING_EXAMPLE = OpenApiExample(
    "A pending booking",
    value={
        "id": 41,
        "listing": {"id": 7, "title": "Sunny 2-bedroom apartment near Bole", "city": "addis-ababa"},
        "guest": {"id": 12, "username": "guest0003"},
        "check_in": "2027-03-10",
        "check_out": "2027-03-13",
        "nights": 3,
        "guests": 2,
        "total_price": "12750.00",
        "status": "pending",
        "created_at": "2027-02-01T09:30:00+03:00",
    },
    response_only=True,
)
REVIEW_EXAMPLE = OpenApiExample(
    "A review",
    value={
        "id": 3,
        "listing": 7,
        "booking": 41,
        "author": {"id": 12, "username": "guest0003"},
        "rating": 5,
        "comment": "Spotless, and the host met us at the airport.",
        "created_at": "2027-03-14T10:00:00+03:00",
    },
    response_only=True,
)
OVERLAP = conflict(
    {"detail": "The listing is already booked for some of these dates.", "code": "booking_overlap"},
    "Some of the nights are taken by a pending or confirmed booking.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List the bookings you can see",
        description=(
            "A guest sees their own bookings; a host also sees the bookings at their "
            "listings; an admin sees all. Ordered by id, paginated."
        ),
        responses={200: BookingSerializer(many=True), 401: UNAUTHORIZED},
        examples=[BOOKING_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Get one booking",
        description="404 for a booking you can't see, whether or not it exists.",
        responses={200: BookingSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
        examples=[BOOKING_EXAMPLE],
    ),
)
@extend_schema(tags=["bookings"])
class BookingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Book stays, see your bookings, cancel one."""

    serializer_class = BookingSerializer
    permission_classes = [IsAuthenticated]
    # Nothing to filter bookings by (yet): don't inherit the listings' filter backend.
    filter_backends: list = []

    def get_queryset(self):
        return booking_list_visible_to(user=self.request.user)

    @extend_schema(
        summary="Book a stay",
        description=(
            "Books the listing for the nights from `check_in` to `check_out` (the "
            "departure day, not a night). The booking starts `pending`; its price is fixed "
            "now as nights × the nightly rate. Hosts can't book their own listings."
        ),
        request=BookingInputSerializer,
        responses={
            201: BookingSerializer,
            400: validation_error({"check_out": ["Check-out must be after check-in."]}),
            401: UNAUTHORIZED,
            409: OVERLAP,
        },
        examples=[
            OpenApiExample(
                "Three nights for two",
                value={"listing": 7, "check_in": "2027-03-10", "check_out": "2027-03-13",
                       "guests": 2},
                request_only=True,
            ),
            BOOKING_EXAMPLE,
        ],
    )
    def create(self, request):
        data = BookingInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        booking = booking_create(guest=request.user, **data.validated_data)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a booking",
        description=(
            "The guest who booked (or an admin) cancels a pending or confirmed booking, "
            "freeing its nights. The listing's host can see the booking but gets 403; "
            "anyone else gets 404. Cancelling twice, or a completed stay: 409."
        ),
        request=None,
        responses={
            200: BookingSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: conflict(
                {
                    "detail": "Only a pending or confirmed booking can be cancelled; "
                    "this one is cancelled.",
                    "code": "booking_not_cancellable",
                },
                "The booking is already cancelled or completed.",
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, IsBookingGuestOrAdmin],
    )
    def cancel(self, request, pk=None):
        # get_object(): 404 if not visible, then IsBookingGuestOrAdmin: 403 if not yours.
        booking = booking_cancel(booking=self.get_object())
        return Response(BookingSerializer(booking).data)


@extend_schema(tags=["reviews"])
class ReviewViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Write a review. Reading is per listing: GET /api/listings/<id>/reviews/."""

    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Review a completed stay",
        description=(
            "Only the guest who stayed, once the booking is `completed`, once per booking. "
            "Someone else's booking that you can see (e.g. at your listing) is a 403; one "
            "you can't see is reported like an unknown id (400)."
        ),
        request=ReviewInputSerializer,
        responses={
            201: ReviewSerializer,
            400: validation_error({"booking": ["This stay has already been reviewed."]}),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "Five stars",
                value={"booking": 41, "rating": 5,
                       "comment": "Spotless, and the host met us at the airport."},
                request_only=True,
            ),
            REVIEW_EXAMPLE,
        ],
    )
    def create(self, request):
        data = ReviewInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        review = review_create(author=request.user, **data.validated_data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["listings"])
class ListingReviewList(generics.GenericAPIView):
    """A listing's reviews, at ``GET /api/listings/<id>/reviews/`` (``config/api_router.py``).

    Under the listing's URL, because a client reads them on the listing's page; served here,
    because reviews belong to bookings and listings can't import them. The listing is looked
    up the way ``GET /api/listings/<id>/`` does: another host's inactive listing is a 404.
    """

    serializer_class = ReviewSerializer

    @extend_schema(
        operation_id="listings_reviews_list",
        parameters=[OpenApiParameter(
            "id", int, OpenApiParameter.PATH,
            description="A unique integer value identifying this listing.")],
        summary="Reviews of a listing",
        description="Public, oldest first, paginated like every list.",
        responses={200: ReviewSerializer(many=True), 404: NOT_FOUND},
        examples=[REVIEW_EXAMPLE],
        # The listing's filters (city, price...) don't apply to its reviews.
        filters=False,
    )
    @cached_response
    def get(self, request, pk=None):
        listing = generics.get_object_or_404(listing_list_visible_to(user=request.user), pk=pk)
        page = self.paginate_queryset(review_list(listing=listing))
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)
