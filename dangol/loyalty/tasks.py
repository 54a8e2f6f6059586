"""Background work of the loyalty program (thin: take ids, call a service)."""

from celery import shared_task

from dangol.loyalty.services.coupons import issue_automatic_coupons
from dangol.loyalty.services.earning import apply_orders
from dangol.loyalty.services.ledger import expire_points
from dangol.loyalty.services.notices import send_expiry_notices
from dangol.loyalty.services.tiers import evaluate_tiers, issue_tier_benefits


@shared_task(acks_late=True)
def apply_orders_task(order_pks: list[int]) -> dict[str, int]:
    """Earn or reverse points for these orders; safe to run twice."""
    result = apply_orders(order_pks=order_pks)
    return {
        "earned": result.earned,
        "points": result.points,
        "reversed": result.reversed,
        "skipped": result.skipped,
    }


@shared_task(acks_late=True)
def expire_points_task() -> int:
    """Expire every due point (daily); safe to run twice."""
    return expire_points()


@shared_task(acks_late=True)
def send_expiry_notices_task() -> int:
    """Queue the notices of points about to expire (daily); safe to run twice."""
    return send_expiry_notices()


@shared_task(acks_late=True)
def issue_automatic_coupons_task() -> int:
    """Issue welcome and birthday-month coupons (daily); safe to run twice."""
    return issue_automatic_coupons()


@shared_task(acks_late=True)
def evaluate_tiers_task() -> dict[str, int]:
    """Re-evaluate tiers, then give monthly tier coupons and birthday points (nightly)."""
    run = evaluate_tiers()
    benefits = issue_tier_benefits()
    return {
        "upgraded": run.upgraded,
        "downgraded": run.downgraded,
        "kept": run.kept,
        "benefits": benefits,
    }
