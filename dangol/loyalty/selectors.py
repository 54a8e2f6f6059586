"""Reads of the loyalty program: balances, ledger history, orders to earn on, figures."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from dangol.customers.models import Customer, Order, OrderLine, OrderStatus
from dangol.loyalty.models import (
    Account,
    Claim,
    Coupon,
    CouponCampaign,
    CouponUse,
    EarnRule,
    Entry,
    EntryKind,
    Event,
    Lot,
    Program,
    Source,
    Tier,
    TierChange,
)

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class OrderForPoints:
    pk: int
    customer_pk: int
    ordered_at: datetime
    total_amount: Decimal
    currency: str
    status: str
    lines: list[tuple[Decimal, int | None, str]]  # (amount, product pk, category)


def orders_for_points(*, order_pks: list[int]) -> list[OrderForPoints]:
    """The orders with their lines' amounts and categories, in two queries."""
    lines: dict[int, list[tuple[Decimal, int | None, str]]] = {}
    for order_id, amount, product_id, category in OrderLine.objects.filter(
        order_id__in=order_pks
    ).values_list("order_id", "amount", "product_id", "product__category"):
        lines.setdefault(order_id, []).append((amount, product_id, category or ""))
    return [
        OrderForPoints(pk, customer_id, ordered_at, total, currency, status, lines.get(pk, []))
        for pk, customer_id, ordered_at, total, currency, status in Order.objects.filter(
            pk__in=order_pks
        )
        .order_by("pk")
        .values_list("pk", "customer_id", "ordered_at", "total_amount", "currency", "status")
    ]


def one_or_none(queryset: QuerySet[Any, _Row]) -> _Row | None:
    """The row a unique lookup finds, or None.

    Unlike ``first()`` this adds no ORDER BY, which can make PostgreSQL walk the
    primary key instead of using the unique index.
    """
    return next(iter(queryset.order_by()[:1]), None)


def active_rules(*, program: Program) -> list[EarnRule]:
    return list(EarnRule.objects.filter(program=program, active=True))


def find_default_program() -> Program | None:
    return Program.objects.filter(is_default=True).first()


def find_account(*, customer_pk: int, program: Program | None = None) -> Account | None:
    program = program or find_default_program()
    if program is None:
        return None
    return one_or_none(Account.objects.filter(program=program, customer_id=customer_pk))


@dataclass(frozen=True)
class BalanceSummary:
    balance: int  # every unexpired point, pending ones included
    spendable: int
    pending: int
    debt: int
    expiring: list[tuple[datetime, int]]  # (expiry, points) in the coming window
    lifetime_earned: int


def balance_summary(
    *, account: Account | None, at: datetime | None = None, expiring_within_days: int = 90
) -> BalanceSummary:
    """The account's points as of ``at``: points past their expiry count as gone."""
    if account is None:
        return BalanceSummary(0, 0, 0, 0, [], 0)
    at = at or timezone.now()
    live = Lot.objects.filter(account=account, remaining__gt=0, expires_at__gt=at)
    figures = live.aggregate(
        total=Sum("remaining"), pending=Sum("remaining", filter=Q(available_at__gt=at))
    )
    total = figures["total"] or 0
    pending = figures["pending"] or 0
    expiring = list(
        live.filter(expires_at__lte=at + timedelta(days=expiring_within_days))
        .values_list("expires_at")
        .annotate(points=Sum("remaining"))
        .order_by("expires_at")
        .values_list("expires_at", "points")
    )
    return BalanceSummary(
        total, total - pending, pending, account.debt, expiring, account.lifetime_earned
    )


def ledger_history(*, account: Account) -> QuerySet[Entry]:
    return Entry.objects.filter(account=account).select_related("staff").order_by("-id")


def get_event(*, event_id: int) -> Event | None:
    return Event.objects.filter(pk=event_id).first()


@dataclass(frozen=True)
class ProgramFigures:
    members: int
    active_members: int  # earned or redeemed in the last 90 days
    outstanding_points: int
    liability: Decimal  # outstanding points × point value, in the program currency
    earned: int
    redeemed: int
    expired: int
    redemption_rate: float | None  # redeemed ÷ earned
    breakage: float | None  # expired ÷ earned


def program_figures(*, program: Program, at: datetime | None = None) -> ProgramFigures:
    """Program KPIs counted in SQL."""
    at = at or timezone.now()
    accounts = Account.objects.filter(program=program).aggregate(
        members=Count("pk"), outstanding=Sum("balance")
    )
    active = (
        Entry.objects.filter(
            program=program,
            at__gte=at - timedelta(days=90),
            kind__in=[EntryKind.EARN, EntryKind.REDEEM],
        )
        .values("account_id")
        .distinct()
        .count()
    )
    sums = Entry.objects.filter(program=program).aggregate(
        earned=Sum("lot__points"),
        redeemed=Sum("amount", filter=Q(kind=EntryKind.REDEEM)),
        expired=Sum("amount", filter=Q(kind=EntryKind.EXPIRE)),
    )
    earned = sums["earned"] or 0
    redeemed = sums["redeemed"] or 0
    expired = sums["expired"] or 0
    outstanding = accounts["outstanding"] or 0
    return ProgramFigures(
        members=accounts["members"],
        active_members=active,
        outstanding_points=outstanding,
        liability=Decimal(outstanding) * program.point_value,
        earned=earned,
        redeemed=redeemed,
        expired=expired,
        redemption_rate=redeemed / earned if earned else None,
        breakage=expired / earned if earned else None,
    )


def find_customer_pk(*, external_id: str) -> int | None:
    return one_or_none(
        Customer.objects.filter(external_id=external_id).values_list("pk", flat=True)
    )


def reward_catalogue(*, at: datetime | None = None) -> QuerySet[CouponCampaign]:
    """Rewards customers can buy now: running (or not yet started) priced campaigns."""
    at = at or timezone.now()
    return (
        CouponCampaign.objects.filter(active=True, points_cost__isnull=False)
        .exclude(ends_at__lte=at)
        .order_by("points_cost", "pk")
    )


def customer_coupons(*, customer_pk: int, at: datetime | None = None) -> QuerySet[Coupon]:
    """The customer's coupons that can still be used, soonest to expire first."""
    at = at or timezone.now()
    return (
        Coupon.objects.filter(customer_id=customer_pk, campaign__active=True)
        .exclude(expires_at__lte=at)
        .exclude(campaign__ends_at__lte=at)
        .filter(Q(campaign__multi_use=True) | Q(uses=0))
        .select_related("campaign")
        .order_by("expires_at", "pk")
    )


def spend_by_customer(*, since: datetime, until: datetime) -> dict[int, tuple[Decimal, int]]:
    """Spend and number of placed orders per customer in [since, until), counted in SQL."""
    return {
        pk: (spend or Decimal(0), orders)
        for pk, spend, orders in Order.objects.filter(
            ordered_at__gte=since, ordered_at__lt=until, status=OrderStatus.PLACED
        )
        .values_list("customer_id")
        .annotate(spend=Sum("total_amount"), orders=Count("pk"))
        .values_list("customer_id", "spend", "orders")
    }


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    until: datetime | None
    next_tier: Tier | None
    spend: Decimal
    orders: int
    spend_needed: Decimal | None
    orders_needed: int | None


def tier_progress(
    *, account: Account | None, customer_pk: int, at: datetime | None = None
) -> TierProgress | None:
    """The customer's tier and what the next one still needs; None without tiers."""
    at = at or timezone.now()
    program = account.program if account is not None else find_default_program()
    if program is None:
        return None
    tiers = list(Tier.objects.filter(program=program).order_by("rank"))
    if not tiers:
        return None
    since = at - timedelta(days=program.tier_period_days)
    spend, orders = _customer_spend(customer_pk, since, at)
    current = account.tier if account is not None else None
    rank = current.rank if current is not None else -1
    higher = [t for t in tiers if t.rank > rank]
    following = higher[0] if higher else None
    return TierProgress(
        tier=current,
        until=account.tier_until if account is not None else None,
        next_tier=following,
        spend=spend,
        orders=orders,
        spend_needed=max(Decimal(0), following.min_spend - spend)
        if following is not None and following.min_spend is not None
        else None,
        orders_needed=max(0, following.min_orders - orders)
        if following is not None and following.min_orders is not None
        else None,
    )


def _customer_spend(customer_pk: int, since: datetime, until: datetime) -> tuple[Decimal, int]:
    figures = Order.objects.filter(
        customer_id=customer_pk,
        ordered_at__gte=since,
        ordered_at__lt=until,
        status=OrderStatus.PLACED,
    ).aggregate(spend=Sum("total_amount"), orders=Count("pk"))
    return figures["spend"] or Decimal(0), figures["orders"]


def tier_history(*, account: Account | None) -> QuerySet[TierChange]:
    return TierChange.objects.filter(account=account).select_related("from_tier", "to_tier")


def tier_multipliers(*, program: Program, customer_pks: set[int]) -> dict[int, Decimal]:
    return dict(
        Account.objects.filter(
            program=program, customer_id__in=customer_pks, tier__isnull=False
        ).values_list("customer_id", "tier__earn_multiplier")
    )


def coupon_campaigns(*, program: Program) -> QuerySet[CouponCampaign]:
    """Coupon campaigns with how many codes were issued and used (counted in SQL)."""
    return (
        CouponCampaign.objects.filter(program=program)
        .annotate(issued=Count("coupons", distinct=True))
        .order_by("-active", "-pk")
    )


def campaign_state(campaign: CouponCampaign, at: datetime | None = None) -> str:
    """``ended``, ``paused``, ``scheduled`` or ``running``."""
    at = at or timezone.now()
    if campaign.ends_at is not None and campaign.ends_at <= at:
        return "ended"
    if not campaign.active:
        return "paused"
    if campaign.starts_at is not None and campaign.starts_at > at:
        return "scheduled"
    return "running"


def find_campaign(*, campaign_id: int) -> CouponCampaign | None:
    return CouponCampaign.objects.filter(pk=campaign_id).first()


@dataclass(frozen=True)
class CampaignStats:
    issued: int  # codes
    issued_to_customers: int
    redeemed: int  # confirmed uses
    reserved: int  # held by a checkout now
    discount_given: Decimal  # confirmed
    rewards_bought: int  # bought with points from the catalogue


def campaign_stats(*, campaign: CouponCampaign) -> CampaignStats:
    codes = Coupon.objects.filter(campaign=campaign).aggregate(
        issued=Count("pk"), personal=Count("pk", filter=Q(customer__isnull=False))
    )
    uses = CouponUse.objects.filter(coupon__campaign=campaign).aggregate(
        redeemed=Count("pk", filter=Q(status=CouponUse.Status.CONFIRMED)),
        reserved=Count("pk", filter=Q(status=CouponUse.Status.RESERVED)),
        given=Sum("discount", filter=Q(status=CouponUse.Status.CONFIRMED)),
    )
    bought = Entry.objects.filter(
        kind=EntryKind.REDEEM,
        source=Source.REWARD,
        source_ref=str(campaign.pk),
        reversals__isnull=True,
    ).count()
    return CampaignStats(
        issued=codes["issued"],
        issued_to_customers=codes["personal"],
        redeemed=uses["redeemed"],
        reserved=uses["reserved"],
        discount_given=uses["given"] or Decimal(0),
        rewards_bought=bought,
    )


def campaign_coupons(*, campaign: CouponCampaign) -> QuerySet[Coupon]:
    return Coupon.objects.filter(campaign=campaign).select_related("customer").order_by("-pk")


def list_events(*, program: Program) -> QuerySet[Event]:
    return Event.objects.filter(program=program).select_related("coupon_campaign").order_by("-pk")


def event_state(event: Event, at: datetime | None = None) -> str:
    """``closed``, ``sold_out``, ``scheduled`` or ``open``."""
    at = at or timezone.now()
    if event.ends_at is not None and event.ends_at <= at:
        return "closed"
    if event.claimed >= event.capacity:
        return "sold_out"
    if event.starts_at is not None and event.starts_at > at:
        return "scheduled"
    return "open"


def event_claims(*, event: Event) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(event=event)
        .select_related("customer", "entry", "coupon")
        .order_by("position")
    )


def find_event(*, event_id: int) -> Event | None:
    return Event.objects.filter(pk=event_id).select_related("coupon_campaign").first()


def open_campaigns(*, program: Program, at: datetime | None = None) -> QuerySet[CouponCampaign]:
    """Campaigns that are running (or scheduled): the ones an event may give out."""
    at = at or timezone.now()
    return (
        CouponCampaign.objects.filter(program=program, active=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .order_by("name", "pk")
    )
