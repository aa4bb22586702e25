from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from ip_tracking.models import BlockedIP, RequestLog, SuspiciousIP
from ip_tracking.services import blocked_ip_add


@admin.register(BlockedIP)
class BlockedIPAdmin(admin.ModelAdmin):
    # Saving and deleting here invalidate every process's copy of the blocklist (signals.py).
    list_display = ("network", "reason", "created_at")
    search_fields = ("network", "reason")
    readonly_fields = ("created_at",)


@admin.register(SuspiciousIP)
class SuspiciousIPAdmin(admin.ModelAdmin):
    list_display = ("ip", "reason", "request_count", "hours_flagged", "first_seen", "last_seen")
    list_filter = ("reason",)
    search_fields = ("=ip",)
    readonly_fields = ("ip", "reason", "request_count", "hours_flagged", "first_seen", "last_seen")
    actions = ["block_addresses"]

    def has_add_permission(self, request) -> bool:
        return False  # rows come from the anomaly check

    @admin.action(description="Block the selected addresses")
    def block_addresses(self, request, queryset) -> None:
        blocked = 0
        for flagged in queryset:
            try:
                _, created = blocked_ip_add(
                    network=flagged.ip, reason=f"Flagged: {flagged.get_reason_display()}")
            except ValidationError as exc:
                self.message_user(request, f"{flagged.ip}: {exc.messages[0]}", messages.ERROR)
                continue
            blocked += created
        self.message_user(request, f"Blocked {blocked} new address(es).", messages.SUCCESS)


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    """Read-only: a log is evidence, written by the flush task only."""

    list_display = ("timestamp", "ip", "country", "method", "path", "status", "duration_ms",
                    "user_id")
    list_filter = ("status", "method", "country")
    search_fields = ("=ip", "^path")
    ordering = ("-timestamp",)
    # No COUNT(*) over millions of rows on every page view.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
