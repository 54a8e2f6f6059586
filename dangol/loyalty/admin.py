from django.contrib import admin

from dangol.loyalty.models import (
    Account,
    CouponCampaign,
    EarnRule,
    Entry,
    Event,
    Program,
)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "is_default",
        "active",
        "earn_points_per_unit",
        "earn_unit_amount",
        "expiry_days",
    )


@admin.register(EarnRule)
class EarnRuleAdmin(admin.ModelAdmin):
    list_display = ("program", "kind", "name", "category", "multiplier", "active")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("name", "capacity", "claimed", "points", "starts_at", "ends_at")
    readonly_fields = ("claimed",)


@admin.register(CouponCampaign)
class CouponCampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "value",
        "min_spend",
        "points_cost",
        "auto",
        "used_count",
        "active",
    )
    readonly_fields = ("used_count", "used_amount")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Balances and the ledger change only through the ledger services."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("customer", "program", "balance", "debt", "lifetime_earned")
    search_fields = ("customer__external_id", "customer__name")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "account", "kind", "source", "source_ref", "points", "balance_after")
    search_fields = ("idempotency_key", "source_ref")
