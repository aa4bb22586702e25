"""How listings look in the API. Read-only for now; writes will go through services."""

from rest_framework import serializers

from accounts.models import User
from listings.models import Listing


class ListingHostSerializer(serializers.ModelSerializer):
    """The public face of a host: no email, no role, nothing private."""

    class Meta:
        model = User
        fields = ["id", "username"]


class ListingSerializer(serializers.ModelSerializer):
    """A listing with its host and rating summary.

    ``average_rating`` and ``review_count`` are not model fields: they come from the
    annotations in ``listings.selectors.listing_list``, so use that queryset.
    """

    host = ListingHostSerializer(read_only=True)
    average_rating = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Mean rating, 1–5, 2 decimals; null if none."
    )
    review_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Listing
        fields = [
            "id",
            "title",
            "city",
            "price_per_night",
            "max_guests",
            "bedrooms",
            "host",
            "average_rating",
            "review_count",
        ]
        read_only_fields = fields
