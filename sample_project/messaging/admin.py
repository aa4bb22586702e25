"""Messages in the admin: for moderation, so staff may look and delete, never write.

A message written or edited in the admin would be staff putting words in a guest's or a
host's mouth: adding and changing are switched off. Deleting stays (an abusive message), and
goes through the same CASCADE and receivers as any other delete.
"""

from django.contrib import admin

from messaging.models import Message, MessageHistory, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    """View and delete only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MessageHistoryInline(admin.TabularInline):
    model = MessageHistory
    fields = ("edited_at", "old_content")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "thread_root", "sender", "receiver", "listing", "booking", "timestamp",
                    "read", "edited")
    list_filter = ("read", "edited")
    search_fields = ("sender__username", "receiver__username", "listing__title", "content")
    date_hierarchy = "timestamp"
    list_select_related = ("thread_root", "sender", "receiver", "listing", "booking")
    inlines = [MessageHistoryInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "message", "created_at", "emailed_at")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user", "message")
