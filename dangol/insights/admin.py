from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.insights.models import AlertDelivery, AlertEvent, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: rules change through their services (checked and audited)."""

    list_display = ("pk", "name", "metric", "condition", "threshold", "window_days", "active",
                    "last_evaluated_at")
    list_filter = ("metric", "active")
    exclude = ("webhook_secret",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "rule", "is_test", "window_start", "window_end", "value", "n",
                    "fired_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "event", "kind", "target", "status", "attempts", "last_error")
    list_filter = ("status", "kind")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
