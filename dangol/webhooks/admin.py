from django.contrib import admin
from django.http import HttpRequest

from dangol.webhooks.models import Delivery, Endpoint, Event


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "description", "active", "created_by", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description")
    exclude = ("secret",)
    raw_id_fields = ("created_by",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New endpoints need a generated secret: they are made on the Webhooks page or API.
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("uid", "type", "occurred_at")
    list_filter = ("type",)
    search_fields = ("uid",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "endpoint", "kind", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("event", "endpoint")
    show_full_result_count = False
