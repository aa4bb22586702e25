"""Query-string filters for ``GET /api/listings/`` (django-filter).

A FilterSet turns ``?city=gondar&min_price=1000&ordering=-price_per_night`` into
validated Python values and then into queryset filters. Bad values never reach the
database: the FilterSet's form rejects them and DRF answers 400 with a message per
parameter, e.g. ``{"check_out": ["Check-out must be after check-in."]}``.
"""

from django import forms
from django.db.models import F, QuerySet
from django_filters import rest_framework as filters

from listings.models import City, Listing
from listings.selectors import listing_list_available

# The largest party any search needs to express; also keeps the value in smallint range.
MAX_GUESTS_FILTER = 100


class ListingFilterForm(forms.Form):
    """Checks that concern two parameters at once (a single field can't see the other)."""

    def clean(self):
        cleaned = super().clean()
        check_in, check_out = cleaned.get("check_in"), cleaned.get("check_out")
        # Only when the field itself parsed: a malformed date already has its own error.
        if "check_in" not in self.errors and "check_out" not in self.errors:
            if check_in and not check_out:
                self.add_error("check_out", "Give check_out together with check_in.")
            elif check_out and not check_in:
                self.add_error("check_in", "Give check_in together with check_out.")
            elif check_in and check_out and check_out <= check_in:
                self.add_error("check_out", "Check-out must be after check-in.")
        min_price, max_price = cleaned.get("min_price"), cleaned.get("max_price")
        if min_price is not None and max_price is not None and max_price < min_price:
            self.add_error("max_price", "max_price must not be below min_price.")
        return cleaned


class StableOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` that pages reliably: ties broken by id, unrated listings last.

    Many listings share a price; ordered by price alone, PostgreSQL may return tied rows
    in a different order on each query, so a listing could show on page 1 *and* page 2.
    Adding ``id`` as the last key makes the order total.
    """

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        order_by = []
        for param in value:
            field = self.get_ordering_value(param)
            descending = field.startswith("-")
            expression = F(field.lstrip("-"))
            # No rating yet is "unknown", not "worst" or "best": last in both directions.
            order_by.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        return qs.order_by(*order_by, "id")


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter: ``2.5`` guests is an error, not "at least 2.5"."""

    field_class = forms.IntegerField


class ListingFilter(filters.FilterSet):
    """Search the catalogue by city, price, party size and free dates; choose the order."""

    city = filters.ChoiceFilter(choices=City.choices, help_text="City slug, e.g. `gondar`.")
    # max_digits/decimal_places as on the column: an absurd number is a 400 here
    # instead of a numeric overflow in PostgreSQL.
    min_price = filters.NumberFilter(
        field_name="price_per_night", lookup_expr="gte", min_value=0,
        max_digits=10, decimal_places=2,
        help_text="Lowest price per night, ETB.",
    )
    max_price = filters.NumberFilter(
        field_name="price_per_night", lookup_expr="lte", min_value=0,
        max_digits=10, decimal_places=2,
        help_text="Highest price per night, ETB.",
    )
    guests = IntegerFilter(
        field_name="max_guests", lookup_expr="gte", min_value=1, max_value=MAX_GUESTS_FILTER,
        help_text="Party size: listings that take at least this many guests.",
    )
    # Applied together in filter_queryset below, not one by one.
    check_in = filters.DateFilter(
        method="filter_dates_later",
        help_text="First night, YYYY-MM-DD. Needs check_out: only listings free for the stay.",
    )
    check_out = filters.DateFilter(
        method="filter_dates_later",
        help_text="Departure day (not a night), YYYY-MM-DD; after check_in.",
    )
    ordering = StableOrderingFilter(
        fields=(
            ("price_per_night", "price_per_night"),
            ("average_rating", "average_rating"),
            ("id", "id"),
        ),
        help_text="Sort key; prefix with `-` for descending. Default: id.",
    )

    class Meta:
        model = Listing
        fields: list[str] = []  # every filter is declared above
        form = ListingFilterForm

    def filter_dates_later(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Leave the dates for filter_queryset, which sees both of them at once."""
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        check_in = self.form.cleaned_data.get("check_in")
        check_out = self.form.cleaned_data.get("check_out")
        if check_in and check_out:
            queryset = listing_list_available(
                check_in=check_in, check_out=check_out, listings=queryset
            )
        return queryset
