from django.contrib import admin

from wishlists.models import WishlistItem


@admin.register(WishlistItem)
class WishlistItemAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "listing", "saved_price", "notified_price", "created_at")
    list_filter = ("listing__city",)
    search_fields = ("listing__title", "user__username", "user__email")
    date_hierarchy = "created_at"
    # Autocomplete instead of <select>: thousands of listings and users.
    autocomplete_fields = ("user", "listing")
    list_select_related = ("user", "listing")
    readonly_fields = ("notified_price", "created_at")
