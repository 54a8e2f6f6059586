"""Writes of the program's settings and earning rules."""

from typing import Any

from django.db import transaction

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.loyalty.models import EarnRule, Program, Tier

PROGRAM_FIELDS = (
    "name",
    "active",
    "starts_at",
    "earn_unit_amount",
    "earn_points_per_unit",
    "point_value",
    "expiry_days",
    "pending_days",
    "daily_earn_cap",
    "survey_points",
    "review_points",
    "referral_points",
    "birthday_points",
)


def update_program(*, actor: Actor, program: Program, changes: dict[str, Any]) -> Program:
    """Change the program's settings (already validated by its form); writes an audit row.

    Locks the program row. Raises PermissionDenied.
    """
    require(actor, "loyalty.manage")
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        changed = [f for f in PROGRAM_FIELDS if f in changes and getattr(locked, f) != changes[f]]
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            record_audit(actor=actor, action="update", obj=locked, fields=changed)
    return locked


def save_rule(*, actor: Actor, rule: EarnRule) -> EarnRule:
    """Create or change an earning rule (validated by its form); writes an audit row."""
    require(actor, "loyalty.manage")
    with transaction.atomic():
        rule.save()
        record_audit(
            actor=actor,
            action="save",
            obj=rule,
            fields=[
                "kind",
                "category",
                "product",
                "multiplier",
                "starts_at",
                "ends_at",
                "weekdays",
                "active",
            ],
        )
    return rule


def save_tier(*, actor: Actor, tier: Tier) -> Tier:
    """Create or change a tier (validated by its form); writes an audit row."""
    require(actor, "loyalty.manage")
    with transaction.atomic():
        tier.save()
        record_audit(
            actor=actor,
            action="save",
            obj=tier,
            fields=[
                "name",
                "rank",
                "min_spend",
                "min_orders",
                "earn_multiplier",
                "birthday_points",
                "monthly_coupon",
            ],
        )
    return tier
