from django.contrib import admin

from bookings.models import Booking, Review


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "listing",
        "guest",
        "check_in",
        "check_out",
        "guests",
        "total_price",
        "status",
    )
    list_filter = ("status", "listing__city")
    search_fields = ("listing__title", "guest__username", "guest__email")
    date_hierarchy = "check_in"
    # Autocomplete instead of <select>: with thousands of listings and users a dropdown
    # would render every row.
    autocomplete_fields = ("listing", "guest")
    list_select_related = ("listing", "guest")
    readonly_fields = ("created_at", "updated_at", "confirmation_sent_at")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "listing", "author", "rating", "created_at")
    list_filter = ("rating", "listing__city")
    search_fields = ("listing__title", "author__username", "comment")
    autocomplete_fields = ("booking", "listing", "author")
    list_select_related = ("listing", "author")
    readonly_fields = ("created_at",)
