"""How bookings look in the API, and what a guest sends to book.

Shape only: types, required fields and single-value ranges. Dates in the past, a
check-out before check-in, too many guests or overlapping stays are the service's
business (bookings.services.booking_create), so they hold for every caller.
"""

from rest_framework import serializers

from accounts.models import User
from bookings.models import Booking
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
