from django.contrib import admin

from dangol.surveys.models import BrandKit, Invitation, Response, Survey, SurveyVersion, Trigger


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "status", "completed_count", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    readonly_fields = ("current_version", "completed_count", "public_slug")


@admin.register(SurveyVersion)
class SurveyVersionAdmin(admin.ModelAdmin):
    list_display = ("survey", "number", "published_at")
    readonly_fields = ("survey", "number", "definition", "published_at", "published_by")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("pk", "survey", "status", "language", "channel", "completed_at")
    list_filter = ("status", "channel", "language")
    readonly_fields = ("survey", "version", "invitation", "customer", "answers", "rewards")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("pk", "survey", "customer", "channel", "status", "reminders_sent")
    list_filter = ("status", "channel")
    readonly_fields = ("survey", "customer", "nonce", "message_id")


admin.site.register(BrandKit)
admin.site.register(Trigger)
