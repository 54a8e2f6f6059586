from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.engagement.models import Message, MessageEvent


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    readonly_fields = ("status", "at", "detail")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is the record of what was sent, changed only by its services."""

    list_display = ("id", "customer", "channel", "purpose", "status", "source", "to_address",
                    "attempts", "created_at")
    list_filter = ("channel", "purpose", "status", "source")
    search_fields = ("to_address", "dedupe_key", "provider_message_id")
    raw_id_fields = ("customer",)
    inlines = [MessageEventInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
