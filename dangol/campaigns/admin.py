from django.contrib import admin

from dangol.campaigns.models import (
    Campaign,
    CampaignSettings,
    Journey,
    JourneyEntry,
    Recipient,
    Variant,
)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "purpose", "segment", "status", "send_at")
    list_filter = ("status", "channel", "purpose")
    search_fields = ("name",)
    readonly_fields = ("cursor", "seed", "started_at", "finished_at")


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("campaign", "customer", "outcome", "block_reason", "at")
    list_filter = ("outcome",)
    raw_id_fields = ("campaign", "customer", "message")


admin.site.register(CampaignSettings)


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger", "channel", "purpose", "active")
    list_filter = ("trigger", "active", "channel", "purpose")
    search_fields = ("name",)
    readonly_fields = ("seed",)


@admin.register(JourneyEntry)
class JourneyEntryAdmin(admin.ModelAdmin):
    list_display = ("journey", "customer", "occasion", "outcome", "reason", "at")
    list_filter = ("outcome",)
    raw_id_fields = ("journey", "customer", "message", "coupon")


admin.site.register(Variant)
