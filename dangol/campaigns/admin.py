from django.contrib import admin

from dangol.campaigns.models import Campaign, CampaignSettings, Recipient


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
