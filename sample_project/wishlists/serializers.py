"""How a wishlist looks in the API, and what a guest sends to save a listing."""

from rest_framework import serializers

from listings.models import Listing
from listings.serializers import VisibleListingField
from wishlists.models import WishlistItem


class SavedListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Listing
        fields = ["id", "title", "city", "price_per_night"]


class WishlistItemSerializer(serializers.ModelSerializer):
    """One saved listing: as it is now, and the price it had when it was saved."""

    listing = SavedListingSerializer(read_only=True)
    saved_at = serializers.DateTimeField(source="created_at", read_only=True)
    price_dropped = serializers.SerializerMethodField()

    class Meta:
        model = WishlistItem
        fields = ["listing", "saved_price", "price_dropped", "saved_at"]
        read_only_fields = fields

    def get_price_dropped(self, item: WishlistItem) -> bool:
        """True when the listing costs less now than when it was saved."""
        return item.listing.price_per_night < item.saved_price


class WishlistInputSerializer(serializers.Serializer):
    """``{"listing": 7}``: a listing you can see. An id you can't is reported as unknown."""

    listing = VisibleListingField(help_text="Id of the listing to save.")
