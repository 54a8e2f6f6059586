"""A demo loyalty program: points on the demo shop's orders and three tiers."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from dangol.customers.models import Order
from dangol.loyalty.models import Program, Tier
from dangol.loyalty.services.earning import apply_orders
from dangol.loyalty.services.ledger import default_program
from dangol.loyalty.services.tiers import evaluate_tiers

TIERS = (  # name, rank, spend over the qualification period, earning multiplier
    ("실버 Silver", 1, Decimal(300_000), Decimal("1.2")),
    ("골드 Gold", 2, Decimal(1_000_000), Decimal("1.5")),
    ("VIP", 3, Decimal(3_000_000), Decimal(2)),
)


@dataclass
class LoyaltyDemoResult:
    orders_earned: int
    members_with_tier: int


def generate_loyalty_demo(*, now: datetime | None = None) -> LoyaltyDemoResult:
    """Set up the default program (1 point per 100 KRW, survey and birthday points, tiers)
    and earn points for every demo order."""
    now = now or timezone.now()
    program = default_program()
    Program.objects.filter(pk=program.pk).update(
        name="단골 포인트 / Dangol points", starts_at=now - timedelta(days=3 * 365),
        earn_unit_amount=Decimal(1000), earn_points_per_unit=10, survey_points=500,
        birthday_points=1000, expiry_days=365)
    for name, rank, spend, multiplier in TIERS:
        Tier.objects.update_or_create(program=program, rank=rank, defaults={
            "name": name, "min_spend": spend, "earn_multiplier": multiplier})
    result = apply_orders(order_pks=list(Order.objects.order_by("pk").values_list("pk",
                                                                                  flat=True)),
                          at=now)
    tiers = evaluate_tiers(at=now)
    return LoyaltyDemoResult(orders_earned=result.earned, members_with_tier=tiers.upgraded)
