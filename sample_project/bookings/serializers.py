"""How bookings and reviews look in the API, and what a guest sends to book a stay or review it.

Shape only: types, required fields and single-value ranges. Dates in the past, a
check-out before check-in, too many guests or overlapping stays are the services'
business (bookings.services.booking_create, review_create), so they hold for every caller.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from bookings.models import Booking, Review
from bookings.selectors import booking_list_visible_to
from listings.models import Listing
from listings.serializers import VisibleListingField


class BookingListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Listing
        fields = ["id", "title", "city"]


class BookingGuestSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class BookingSerializer(serializers.ModelSerializer):
    """A booking as its guest, the listing's host or an admin sees it."""

    listing = BookingListingSerializer(read_only=True)
    guest = BookingGuestSerializer(read_only=True)
    nights = serializers.IntegerField(read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "listing",
            "guest",
            "check_in",
            "check_out",
            "nights",
            "guests",
            "total_price",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class BookingInputSerializer(serializers.Serializer):
    """What a guest sends to book a stay."""

    listing = VisibleListingField(help_text="Id of the listing to book.")
    check_in = serializers.DateField(help_text="First night, YYYY-MM-DD; today or later.")
    check_out = serializers.DateField(help_text="Departure day (not a night), YYYY-MM-DD.")
    guests = serializers.IntegerField(
        min_value=1, max_value=100, help_text="Party size, up to the listing's max_guests."
    )


@extend_schema_field(OpenApiTypes.INT)  # the docs can't see a model behind get_queryset()
class VisibleBookingField(serializers.PrimaryKeyRelatedField):
    """A booking id, resolved among the bookings the requesting user may see.

    Someone else's booking id gets the same 400 as an id that doesn't exist: the API
    does not confirm that a booking it won't show you exists (see bookings.views).
    """

    def get_queryset(self):
        return booking_list_visible_to(user=self.context["request"].user)


class ReviewInputSerializer(serializers.Serializer):
    """What a guest sends to review a stay."""

    booking = VisibleBookingField(help_text="Id of your completed booking.")
    rating = serializers.IntegerField(
        min_value=1, max_value=5, help_text="1 (bad) to 5 (excellent)."
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReviewAuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class ReviewSerializer(serializers.ModelSerializer):
    """A published review."""

    author = ReviewAuthorSerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "listing", "booking", "author", "rating", "comment", "created_at"]
        read_only_fields = fields
