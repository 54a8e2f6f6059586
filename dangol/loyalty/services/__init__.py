"""Writes of the loyalty program. Other apps call these (and ``selectors``) only.

Points: ``earn_points``, ``redeem_points``, ``adjust_points``, ``reverse_entry``,
``award_action`` (survey, review, referral, birthday points, idempotent on the
action), ``apply_orders`` (earn or reverse for written orders; connected to
``customers.signals.orders_written`` already), ``expire_points``.
Events: ``create_event``, ``claim_event``, ``close_event``. Coupons: ``issue_coupon``,
``validate_coupon``, ``reserve_coupon``, ``confirm_coupon``, ``release_coupon``,
``buy_reward``. Campaigns: ``save_campaign``, ``set_campaign_state`` (pause,
resume, end), ``issue_to_customers`` (a customer or a saved segment). Tiers:
``evaluate_tiers``. Referrals: ``record_referral`` (rewards and their reversal
on refunds run with ``apply_orders``).
"""

from dangol.loyalty.services.campaigns import (
    issue_to_customers,
    save_campaign,
    set_campaign_state,
)
from dangol.loyalty.services.coupons import (
    CouponRefused,
    buy_reward,
    confirm_coupon,
    issue_coupon,
    release_coupon,
    reserve_coupon,
    validate_coupon,
)
from dangol.loyalty.services.earning import apply_orders, award_action
from dangol.loyalty.services.events import SoldOut, claim_event, close_event, create_event
from dangol.loyalty.services.ledger import (
    IdempotencyConflict,
    InsufficientPoints,
    adjust_points,
    default_program,
    earn_points,
    expire_points,
    redeem_points,
    reverse_entry,
)
from dangol.loyalty.services.referrals import record_referral
from dangol.loyalty.services.tiers import evaluate_tiers

__all__ = [
    "CouponRefused",
    "IdempotencyConflict",
    "InsufficientPoints",
    "SoldOut",
    "adjust_points",
    "apply_orders",
    "award_action",
    "buy_reward",
    "claim_event",
    "close_event",
    "confirm_coupon",
    "create_event",
    "default_program",
    "earn_points",
    "evaluate_tiers",
    "expire_points",
    "issue_coupon",
    "issue_to_customers",
    "record_referral",
    "redeem_points",
    "release_coupon",
    "reserve_coupon",
    "reverse_entry",
    "save_campaign",
    "set_campaign_state",
    "validate_coupon",
]
