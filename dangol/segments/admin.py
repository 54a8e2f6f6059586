from django.contrib import admin

from dangol.segments.models import CustomerScore, Segment


@admin.register(CustomerScore)
class CustomerScoreAdmin(admin.ModelAdmin):
    """Scores are rewritten nightly by the scoring job, so they are read-only here."""

    list_display = ("customer", "rfm_segment", "R", "F", "M", "order_count", "total_spent",
                    "churn_risk", "p_alive", "scored_at")
    list_filter = ("rfm_segment", "churn_risk")
    search_fields = ("customer__external_id", "customer__name")
    raw_id_fields = ("customer",)
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Saved segments; edit them in the segment builder, which checks the rules."""

    list_display = ("name", "member_count", "counted_at", "created_by", "updated_at")
    search_fields = ("name",)
    readonly_fields = ("definition", "member_count", "counted_at", "created_by")
