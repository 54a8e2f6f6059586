from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.reports.models import ReportRun, ReportSchedule


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: schedules change through their pages and API (validated, audited)."""

    list_display = ("name", "frequency", "hour", "language", "active", "next_run_at")
    list_filter = ("frequency", "language", "active")
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("pk", "schedule", "period_start", "period_end", "trigger", "status",
                    "attempts", "sent_at")
    list_filter = ("status", "trigger")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
