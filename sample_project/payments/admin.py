from django.contrib import admin

from payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("tx_ref", "booking", "amount", "currency", "status", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("tx_ref", "chapa_reference", "booking__guest__username")
    autocomplete_fields = ("booking",)
    list_select_related = ("booking",)
    readonly_fields = ("created_at", "updated_at", "verify_payload")
