from django.contrib import admin

from dangol.cases.models import Case, CaseEvent, CaseNote, CaseRule


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ("at", "kind", "actor_label", "old_value", "new_value", "detail")
    readonly_fields = fields
    can_delete = False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("pk", "subject", "status", "priority", "assignee", "due_at", "created_at")
    list_filter = ("status", "priority", "source")
    search_fields = ("subject", "customer__external_id")
    raw_id_fields = ("customer", "response", "assignee", "created_by")
    inlines = [CaseEventInline]


@admin.register(CaseRule)
class CaseRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "condition", "threshold", "priority", "active")


admin.site.register(CaseNote)
