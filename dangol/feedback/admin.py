from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangol.feedback.models import TextAnalysis, ThemeMention


class ThemeMentionInline(admin.TabularInline):
    model = ThemeMention
    extra = 0
    fields = ("theme", "sentiment", "score")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TextAnalysis)
class TextAnalysisAdmin(admin.ModelAdmin):
    """Read-only: analyses are written by the worker, and only masked text is shown."""

    list_display = ("pk", "source", "survey", "language", "sentiment", "sentiment_score",
                    "created_at")
    list_filter = ("source", "language", "sentiment")
    search_fields = ("masked_text",)
    fields = ("source", "survey", "response", "answer", "language", "sentiment",
              "sentiment_score", "keywords", "masked_text", "created_at")
    readonly_fields = fields
    inlines = [ThemeMentionInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
