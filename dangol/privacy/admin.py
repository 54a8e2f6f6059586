from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.privacy.models import DataRequest


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: requests change only through their services (audited, in order)."""

    list_display = ("pk", "customer_external_id", "kind", "status", "received_at", "due_at",
                    "completed_at")
    list_filter = ("status", "kind")
    search_fields = ("customer_external_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
