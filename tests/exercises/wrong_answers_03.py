"""Plausible wrong answers to the exercises of lesson 03, each with the hint its check must give.

``WRONG_ANSWERS`` maps an exercise id to ``[(wrong answer, a phrase of the hint meant for it)]``.
A check that accepts one of these, or rejects it with another hint, is a defect. ``probe.py`` runs
them in a fresh process where ``nexus.start`` has set Django up.
"""

from __future__ import annotations


# --- 03.1 BookingRequestSerializer · 03.2 ListingPriceFilter · 03.3 api_exception_handler ---------
def _booking_request(name, *, guests_floor=1, same_day_ok=False, non_field=False, returns=True,
                     returns_guests=True, field="check_out"):
    from rest_framework import serializers

    class WrongBookingRequest(serializers.Serializer):
        check_in = serializers.DateField()
        check_out = serializers.DateField()
        guests = serializers.IntegerField()

        def validate_guests(self, value):
            if value < guests_floor:
                raise serializers.ValidationError("A booking needs at least one guest.")
            return value if returns_guests else None

        def validate(self, attrs):
            backwards = attrs["check_out"] < attrs["check_in"] if same_day_ok \
                else attrs["check_out"] <= attrs["check_in"]
            if backwards:
                message = "Check-out must be after check-in."
                raise serializers.ValidationError(message if non_field else {field: message})
            return attrs if returns else None

    WrongBookingRequest.__name__ = name
    return WrongBookingRequest


request_zero_guests_ok = _booking_request("request_zero_guests_ok", guests_floor=0)
request_same_day_ok = _booking_request("request_same_day_ok", same_day_ok=True)
request_non_field_error = _booking_request("request_non_field_error", non_field=True)
request_forgets_attrs = _booking_request("request_forgets_attrs", returns=False)
request_forgets_guests = _booking_request("request_forgets_guests", returns_guests=False)
request_error_on_check_in = _booking_request("request_error_on_check_in", field="check_in")


def _price_filter(name, filter_max_price):
    from django_filters import rest_framework as filters

    from listings.models import City, Listing

    class WrongPriceFilter(filters.FilterSet):
        city = filters.ChoiceFilter(choices=City.choices)
        max_price = filters.NumberFilter(method="filter_max_price", min_value=0,
                                         max_digits=10, decimal_places=2)

        class Meta:
            model = Listing
            fields: list[str] = []

    WrongPriceFilter.filter_max_price = filter_max_price
    WrongPriceFilter.__name__ = name
    return WrongPriceFilter


price_below_only = _price_filter("price_below_only",
                                 lambda self, qs, name, value: qs.filter(price_per_night__lt=value))
price_unfiltered = _price_filter("price_unfiltered", lambda self, qs, name, value: qs)
price_at_least = _price_filter("price_at_least",
                               lambda self, qs, name, value: qs.filter(price_per_night__gte=value))
price_whole_birr = _price_filter(
    "price_whole_birr", lambda self, qs, name, value: qs.filter(price_per_night__lte=int(value)))
price_cheapest_first = _price_filter(
    "price_cheapest_first",
    lambda self, qs, name, value: qs.filter(price_per_night__lte=value).order_by("price_per_night"))


def _from_all_listings(self, queryset, name, value):
    from listings.models import Listing

    return Listing.objects.filter(price_per_night__lte=value)


price_from_all_listings = _price_filter("price_from_all_listings", _from_all_listings)


def handler_validation_first(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ValidationError):
        return Response(exc.message_dict if hasattr(exc, "error_dict") else
                        {"non_field_errors": exc.messages}, status=400)
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    return exception_handler(exc, context)


def handler_conflict_only(exc, context):
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    return exception_handler(exc, context)


def handler_without_code(exc, context):
    from rest_framework.response import Response

    from config.exceptions import ConflictError

    response = handler_validation_first(exc, context)
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0]}, status=409)
    return response


def handler_one_string(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    if isinstance(exc, ValidationError):
        return Response({"detail": " ".join(exc.messages)}, status=400)
    return exception_handler(exc, context)


def handler_no_fallback(exc, context):
    from django.core.exceptions import ValidationError
    from rest_framework.response import Response

    from config.exceptions import ConflictError

    if isinstance(exc, ConflictError):
        return Response({"detail": exc.messages[0], "code": exc.code}, status=409)
    if isinstance(exc, ValidationError):
        return Response(exc.message_dict, status=400)
    return None


WRONG_ANSWERS = {
    "03.1": [(request_zero_guests_ok, "refuses 0 as well"),
             (request_same_day_ok, "a stay of zero nights"),
             (request_non_field_error, "under non_field_errors"),
             (request_forgets_attrs, "must return the attrs"),
             (request_forgets_guests, "guests came back as None"),
             (request_error_on_check_in, "but under check_in")],
    "03.2": [(price_below_only, "includes a listing priced exactly"),
             (price_unfiltered, "return the queryset filtered"),
             (price_at_least, "check the field your filter reads and its lookup"),
             (price_whole_birr, "max_price can have cents"),
             (price_cheapest_first, "a filter only filters"),
             (price_from_all_listings, "start from the queryset you were given")],
    "03.3": [(handler_validation_first, "Test for the more specific class first"),
             (handler_conflict_only, "Django's ValidationError (raised by the service) is not"),
             (handler_without_code, "machine-readable code"),
             (handler_one_string, "one list of messages per field"),
             (handler_no_fallback, "hand everything you don't map yourself to DRF")],
}
