from django.contrib import admin

from dangol.engagement.models import Message, MessageEvent


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    readonly_fields = ("status", "at", "detail")
    can_delete = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "channel", "purpose", "status", "source", "to_address",
                    "attempts", "created_at")
    list_filter = ("channel", "purpose", "status", "source")
    search_fields = ("to_address", "dedupe_key", "provider_message_id")
    raw_id_fields = ("customer",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [MessageEventInline]
    show_full_result_count = False
