"""Membership tiers: nightly re-evaluation, notices of changes, tier benefits.

A customer qualifies for the highest tier whose spend or order-count threshold
they meet over the program's rolling period (placed orders only; refunded and
cancelled ones do not count). An upgrade takes effect at once; a downgrade
only when the current tier's period has ended (``tier_until``), so a quiet
month never costs a tier early. Every change is kept in TierChange and told to
the customer by e-mail.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM
from dangol.customers.models import Customer
from dangol.engagement.models import Channel, Purpose
from dangol.engagement.services import Draft, queue_messages
from dangol.loyalty import selectors
from dangol.loyalty.models import (
    Account,
    Coupon,
    Entry,
    EntryKind,
    Program,
    Source,
    Tier,
    TierChange,
)
from dangol.loyalty.services.coupons import new_code
from dangol.loyalty.services.ledger import Request, default_program, earn_into, run_once
from dangol.loyalty.tokens import card_url


@dataclass
class TierRun:
    upgraded: int = 0
    downgraded: int = 0
    kept: int = 0


def qualifying_tier(tiers: list[Tier], spend: Decimal, orders: int) -> Tier | None:
    """The highest tier whose spend or order threshold is met (``tiers`` by rank)."""
    best = None
    for tier in tiers:
        by_spend = tier.min_spend is not None and spend >= tier.min_spend
        by_orders = tier.min_orders is not None and orders >= tier.min_orders
        if by_spend or by_orders or (tier.min_spend is None and tier.min_orders is None):
            best = tier
    return best


def evaluate_tiers(*, at: datetime | None = None, chunk: int = 1000) -> TierRun:
    """Re-evaluate every member's tier (nightly); safe to run twice the same day.

    Locks accounts in primary-key order, a chunk per transaction.
    """
    at = at or timezone.now()
    program = default_program()
    tiers = list(Tier.objects.filter(program=program).order_by("rank"))
    run = TierRun()
    if not tiers:
        return run
    figures = selectors.spend_by_customer(
        since=at - timedelta(days=program.tier_period_days), until=at
    )
    candidates = set(figures) | set(
        Account.objects.filter(program=program, tier__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    customer_pks = sorted(candidates)
    for start in range(0, len(customer_pks), chunk):
        part = customer_pks[start : start + chunk]
        with transaction.atomic():
            Account.objects.bulk_create(
                [Account(program=program, customer_id=pk) for pk in part], ignore_conflicts=True
            )
            changes = []
            for account in (
                Account.objects.select_for_update(of=("self",))
                .select_related("tier")
                .filter(program=program, customer_id__in=part)
                .order_by("pk")
            ):
                spend, orders = figures.get(account.customer_id, (Decimal(0), 0))
                change = _decide(program, account, tiers, spend, orders, at, run)
                if change is not None:
                    changes.append(change)
            TierChange.objects.bulk_create(changes)
            _tell(changes)
    return run


def _decide(
    program: Program,
    account: Account,
    tiers: list[Tier],
    spend: Decimal,
    orders: int,
    at: datetime,
    run: TierRun,
) -> TierChange | None:
    target = qualifying_tier(tiers, spend, orders)
    current = account.tier
    current_rank = current.rank if current is not None else -1
    target_rank = target.rank if target is not None else -1
    period_over = account.tier_until is None or account.tier_until <= at
    if target_rank > current_rank or (target_rank < current_rank and period_over):
        if target_rank > current_rank:
            run.upgraded += 1
        else:
            run.downgraded += 1
        account.tier = target
        account.tier_until = at + timedelta(days=program.tier_period_days) if target else None
        account.save(update_fields=["tier", "tier_until", "updated_at"])
        return TierChange(
            account=account, from_tier=current, to_tier=target, spend=spend, orders=orders, at=at
        )
    if target_rank == current_rank and target is not None and period_over:
        # Qualified again: the tier is kept for another period.
        account.tier_until = at + timedelta(days=program.tier_period_days)
        account.save(update_fields=["tier_until", "updated_at"])
    run.kept += 1
    return None


def _tell(changes: list[TierChange]) -> None:
    """Queue an e-mail for each change (after commit, through the outbox)."""
    if not changes:
        return
    people = Customer.objects.in_bulk({c.account.customer_id for c in changes})
    drafts = []
    for change in changes:
        customer = people[change.account.customer_id]
        if not customer.email:
            continue
        with translation.override(customer.language or "ko"):
            name = change.to_tier.name if change.to_tier else _("member")
            subject = _("Your membership tier is now %(tier)s") % {"tier": name}
            body = _(
                "Your membership tier is now %(tier)s. See your benefits and points: %(url)s"
            ) % {"tier": name, "url": card_url(customer_pk=customer.pk)}
        drafts.append(
            Draft(
                customer=customer,
                subject=subject,
                body=body,
                language=customer.language,
                dedupe_key=f"loyalty-tier:{change.account_id}:{change.at:%Y%m%d}",
            )
        )
    if drafts:
        queue_messages(
            channel=Channel.EMAIL,
            purpose=Purpose.TRANSACTIONAL,
            drafts=drafts,
            source="loyalty.tier",
        )


def issue_tier_benefits(*, at: datetime | None = None) -> int:
    """Monthly tier coupons and birthday points (base plus tier bonus); safe to run twice.

    Returns the number of coupons issued plus birthdays handled.
    """
    at = at or timezone.now()
    today = timezone.localdate(at)
    program = default_program()
    done = 0
    for tier in Tier.objects.filter(program=program, monthly_coupon__isnull=False):
        key = f"tier:{tier.pk}:{today:%Y-%m}"
        campaign = tier.monthly_coupon
        assert campaign is not None
        have = Coupon.objects.filter(campaign=campaign, issue_key=key).values("customer_id")
        members = (
            Account.objects.filter(tier=tier)
            .exclude(customer_id__in=have)
            .values_list("customer_id", flat=True)
        )
        expires_at = at + timedelta(days=campaign.valid_days or 31)
        fresh = [
            Coupon(
                campaign=campaign,
                code=new_code(),
                customer_id=pk,
                issue_key=key,
                expires_at=expires_at,
            )
            for pk in members
        ]
        Coupon.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
        done += len(fresh)
    birthdays = Customer.objects.filter(birthday__month=today.month, birthday__day=today.day)
    bonus = dict(
        Account.objects.filter(
            program=program, customer__in=birthdays, tier__isnull=False
        ).values_list("customer_id", "tier__birthday_points")
    )
    for customer_pk in birthdays.values_list("pk", flat=True):
        points = program.birthday_points + (bonus.get(customer_pk) or 0)
        if points <= 0:
            continue
        key = f"birthday:{customer_pk}:{today.year}"
        request = Request(EntryKind.EARN, Source.BIRTHDAY, str(today.year), points)

        def write(account: Account, points: int = points, key: str = key) -> Entry:
            return earn_into(
                account,
                program=program,
                amount=points,
                source=Source.BIRTHDAY,
                at=at,
                actor=SYSTEM,
                key=key,
                source_ref=str(today.year),
            )

        run_once(program, key, customer_pk, request, write)
        done += 1
    return done
