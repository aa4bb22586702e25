from django.contrib import admin

from listings.models import Listing


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "city", "price_per_night", "max_guests", "host", "is_active")
    list_filter = ("city", "is_active", "bedrooms")
    search_fields = ("title", "address", "host__username")
    autocomplete_fields = ("host",)
    list_select_related = ("host",)
    readonly_fields = ("created_at", "updated_at")
