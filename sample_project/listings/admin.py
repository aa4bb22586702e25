from django.contrib import admin

from listings.models import Listing, Review


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "city", "price_per_night", "max_guests", "host", "is_active")
    list_filter = ("city", "is_active", "bedrooms")
    search_fields = ("title", "address", "host__username")
    autocomplete_fields = ("host",)
    list_select_related = ("host",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "listing", "author", "rating", "created_at")
    list_filter = ("rating", "listing__city")
    search_fields = ("listing__title", "author__username", "comment")
    autocomplete_fields = ("booking", "listing", "author")
    list_select_related = ("listing", "author")
    readonly_fields = ("created_at",)
