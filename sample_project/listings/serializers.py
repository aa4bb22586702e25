"""How listings look in the API, and what hosts may send.

Serializers here check *shape* — types, required fields, ranges a single value must be
in. Business rules ("a listing with bookings can't be deleted") live in the services, so
they hold for every caller, not just the API. Input and output are separate
serializers: what a client may send is not what it gets back. Reviews belong to a stay:
their serializers are in ``bookings.serializers``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from listings.models import Listing
from listings.selectors import listing_list_visible_to
from listings.services import LISTING_EDITABLE_FIELDS


class ListingHostSerializer(serializers.ModelSerializer):
    """The public face of a host: no email, no role, nothing private."""

    class Meta:
        model = User
        fields = ["id", "username"]


@extend_schema_field(OpenApiTypes.INT)  # the docs can't see a model behind get_queryset()
class VisibleListingField(serializers.PrimaryKeyRelatedField):
    """A listing id, resolved among the listings the requesting user may see."""

    def get_queryset(self):
        # Another host's inactive listing is "does not exist" here, as it is a 404 at
        # /api/listings/<id>/: the API never confirms what it won't show you.
        return listing_list_visible_to(user=self.context["request"].user)


class ListingSerializer(serializers.ModelSerializer):
    """A listing with its host and rating summary, as lists show it.

    ``average_rating`` and ``review_count`` are not model fields: they come from the
    annotations in ``listings.selectors``, so use a queryset from there.
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


#: The model fields a card shows: a list page loads these columns and no others
#: (``.only()``: not the description, not the host's email or password hash).
LISTING_CARD_FIELDS = (
    "id", "title", "city", "price_per_night", "max_guests", "bedrooms", "host__username",
)
# The price as ListingSerializer renders it: a string with two decimals (DRF's DecimalField
# with COERCE_DECIMAL_TO_STRING, its default), from the model field's own digits.
_PRICE = serializers.DecimalField(
    max_digits=Listing._meta.get_field("price_per_night").max_digits,
    decimal_places=Listing._meta.get_field("price_per_night").decimal_places,
)


def listing_card(listing: Listing) -> dict:
    """``ListingSerializer(listing).data`` as a plain dict, built without DRF's field machinery.

    A list page shows up to 100 cards. For each card a serializer calls ``get_attribute`` and
    ``to_representation`` on every field, and runs a nested serializer for the host; here each
    value is one attribute read. ``ListingSerializer`` stays the contract (the OpenAPI schema,
    the detail view's base): ``tests/api/test_listing_card.py`` holds the two equal, key for
    key, in the same order. Needs the selector's annotations, like the serializer.
    """
    return {
        "id": listing.pk,
        "title": listing.title,
        "city": listing.city,
        "price_per_night": _PRICE.to_representation(listing.price_per_night),
        "max_guests": listing.max_guests,
        "bedrooms": listing.bedrooms,
        "host": {"id": listing.host.pk, "username": listing.host.username},
        "average_rating": listing.average_rating,
        "review_count": listing.review_count,
    }


class ListingDetailSerializer(ListingSerializer):
    """One listing, with the longer fields a list leaves out."""

    class Meta(ListingSerializer.Meta):
        fields = [*ListingSerializer.Meta.fields, "description", "address", "is_active"]
        read_only_fields = fields


class ListingInputSerializer(serializers.ModelSerializer):
    """What a host sends to create or change a listing. The host is never sent: it is you."""

    # Positive, like the database's CheckConstraint: caught here, a bad value is a 400
    # with the field's name instead of an IntegrityError.
    price_per_night = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=1, help_text="ETB per night."
    )
    max_guests = serializers.IntegerField(min_value=1, max_value=100)
    bedrooms = serializers.IntegerField(min_value=0, max_value=100, required=False)
    # The model's TextField has no limit; a page of text is plenty, megabytes are abuse.
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)

    class Meta:
        model = Listing
        fields = LISTING_EDITABLE_FIELDS  # the service's list: one place says what a host sets

    def validate_title(self, value: str) -> str:
        # The title goes into email subjects, where Django refuses a line break (no header
        # injection, but the email is never sent): one line, refused here with a message.
        if "\r" in value or "\n" in value:
            raise serializers.ValidationError("The title must be a single line.")
        return value
