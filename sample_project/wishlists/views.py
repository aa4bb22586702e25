"""HTTP endpoints for the wishlist: thin views over wishlists.selectors and wishlists.services.

There is one wishlist per user and it is always *yours*: every URL is scoped to the user
of the request (no user id in the path), so "someone else's wishlist" can't even be asked
for. Anonymous clients get 401, like every endpoint that needs to know who you are.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from config.openapi import UNAUTHORIZED, conflict, validation_error
from wishlists.cache import cached_wishlist
from wishlists.serializers import WishlistInputSerializer, WishlistItemSerializer
from wishlists.services import wishlist_add, wishlist_remove

ITEM_EXAMPLE = OpenApiExample(
    "A saved listing that got cheaper",
    value={
        "listing": {"id": 7, "title": "Sunny 2-bedroom apartment near Bole",
                    "city": "addis-ababa", "price_per_night": "3900.00"},
        "saved_price": "4250.00",
        "price_dropped": True,
        "saved_at": "2027-02-01T09:30:00+03:00",
    },
    response_only=True,
)


@extend_schema(tags=["wishlist"])
class WishlistViewSet(viewsets.ViewSet):
    """Your wishlist: the listings you saved, and an email when one of them gets cheaper."""

    permission_classes = [IsAuthenticated]
    # /api/wishlist/<listing id>/: an item is named by its listing, unique per user.
    lookup_field = "listing_id"
    lookup_value_regex = r"\d+"

    @extend_schema(
        summary="Your wishlist",
        description=(
            "The active listings you saved, newest first, each with the price it had when "
            "you saved it. Not paginated: a wishlist holds at most 100 listings. Cached per "
            "user; an add, a remove or a price change shows on the next request."
        ),
        responses={200: WishlistItemSerializer(many=True), 401: UNAUTHORIZED},
        examples=[ITEM_EXAMPLE],
    )
    def list(self, request):
        return Response(cached_wishlist(user=request.user))

    @extend_schema(
        summary="Save a listing to your wishlist",
        description=(
            "Idempotent: 201 when it is added, 200 with the existing item (and its original "
            "saved price) when it was there already. An inactive or unknown listing is a 400; "
            "a full wishlist (100 listings) a 409."
        ),
        request=WishlistInputSerializer,
        responses={
            201: WishlistItemSerializer,
            200: WishlistItemSerializer,
            400: validation_error({"listing": ['Invalid pk "99999" - object does not exist.']}),
            401: UNAUTHORIZED,
            409: conflict(
                {"detail": "Your wishlist holds 100 listings; remove one to save another.",
                 "code": "wishlist_full"},
                "The wishlist is full.",
            ),
        },
        examples=[
            OpenApiExample("Save listing 7", value={"listing": 7}, request_only=True),
            ITEM_EXAMPLE,
        ],
    )
    def create(self, request):
        data = WishlistInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        item, created = wishlist_add(user=request.user, listing=data.validated_data["listing"])
        return Response(WishlistItemSerializer(item).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Remove a listing from your wishlist",
        description=(
            "Idempotent: 204 whether or not the listing was in your wishlist, so a retried "
            "request gets the same answer. Only your own wishlist is ever touched."
        ),
        parameters=[OpenApiParameter("listing_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="Id of the saved listing.")],
        responses={204: None, 401: UNAUTHORIZED},
    )
    def destroy(self, request, listing_id=None):
        wishlist_remove(user=request.user, listing_id=int(listing_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
