"""Points from orders and actions: earning rules applied in bulk, reversal on refunds.

Orders reach the ledger through ``customers.signals.orders_written`` (API and
imports alike); the receiver queues ``apply_orders`` after commit. It is
idempotent: an order earns under the key ``order:<pk>`` once, and is reversed
under ``reverse:order:<pk>`` once when its status becomes refunded or cancelled.
An order whose content changes after it earned keeps the points it first earned.
A refund also takes back the referral reward the order earned for a referrer
(see ``referrals``).

The daily cap counts the points earned (before debt) from orders and actions
in one business day, leaving out earnings that were reversed since: a refund
frees its part of the day's cap for later earnings that day. Earnings already
cut by the cap are not topped up afterwards.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.core.errors import DomainError
from dangol.customers.models import OrderStatus
from dangol.loyalty import lots as fifo
from dangol.loyalty import selectors
from dangol.loyalty.models import (
    Account,
    EarnRule,
    Entry,
    EntryKind,
    Lot,
    Program,
    Source,
)
from dangol.loyalty.services.ledger import (
    Request,
    capped_amount,
    default_program,
    earn_into,
    reverse_locked,
    run_once,
)
from dangol.loyalty.services.referrals import reverse_referrals, reward_referrals

REFUNDED = {OrderStatus.REFUNDED.value, OrderStatus.CANCELLED.value}


@dataclass
class OrderPointsResult:
    earned: int = 0  # orders that earned now
    points: int = 0
    reversed: int = 0
    skipped: int = 0  # already done, before the program started, other currency, zero
    keys: list[str] = field(default_factory=list)


def order_key(order_pk: int) -> str:
    return f"order:{order_pk}"


def order_points(
    *,
    program: Program,
    order: selectors.OrderForPoints,
    rules: list[EarnRule],
    tier_multiplier: Decimal = Decimal(1),
) -> int:
    """Points an order earns.

    Rounding rule (KRW has no minor unit): every line earns
    ``amount × points_per_unit ÷ unit_amount × line multiplier`` as an exact
    Decimal, where line amounts are scaled so that they add up to the order
    total actually paid; the sum is multiplied by every promotion in force when
    the order was placed and rounded down (floor) to whole points, once per
    order. So 1,000 KRW per 10 points gives 19 points for 1,999 KRW. A product
    rule beats a category rule on the same line; an order without lines earns
    on its total. The customer's tier multiplier applies to the whole order,
    before rounding.
    """
    rate = Decimal(program.earn_points_per_unit) / program.earn_unit_amount
    by_product = {r.product_id: r.multiplier for r in rules if r.kind == EarnRule.Kind.PRODUCT}
    by_category = {
        r.category: r.multiplier for r in rules if r.kind == EarnRule.Kind.CATEGORY and r.category
    }
    line_sum = sum((amount for amount, _product, _category in order.lines), Decimal(0))
    if line_sum > 0:
        scale = order.total_amount / line_sum
        points = Decimal(0)
        for amount, product_id, category in order.lines:
            multiplier = by_product.get(product_id) if product_id is not None else None
            if multiplier is None:
                multiplier = by_category.get(category, Decimal(1))
            points += amount * scale * rate * multiplier
    else:
        points = order.total_amount * rate
    for rule in rules:
        if rule.kind == EarnRule.Kind.PROMOTION and promotion_applies(rule, order.ordered_at):
            points *= rule.multiplier
    points *= tier_multiplier
    return int(points.to_integral_value(rounding=ROUND_FLOOR))


def promotion_applies(rule: EarnRule, at: datetime) -> bool:
    if rule.starts_at is not None and at < rule.starts_at:
        return False
    if rule.ends_at is not None and at >= rule.ends_at:
        return False
    return not rule.weekdays or timezone.localtime(at).weekday() in rule.weekdays


def apply_orders(
    *, order_pks: list[int], at: datetime | None = None, actor: Actor = SYSTEM, chunk: int = 2000
) -> OrderPointsResult:
    """Earn points for placed orders and reverse them for refunded or cancelled ones.

    Bulk: one transaction per chunk of customers, their accounts locked in
    primary-key order (two runs never deadlock). Safe to run twice.
    """
    program = default_program()
    at = at or timezone.now()
    result = OrderPointsResult()
    if not program.active:
        result.skipped = len(order_pks)
        return result
    rules = selectors.active_rules(program=program)
    for start in range(0, len(order_pks), chunk):
        orders = selectors.orders_for_points(order_pks=order_pks[start : start + chunk])
        placed = [o for o in orders if o.status not in REFUNDED]
        _earn_for_orders(program, placed, rules, at, actor, result)
        if placed and program.referral_points:
            reward_referrals(referred_pks={o.customer_pk for o in placed}, actor=actor, at=at)
        refunded = [o.pk for o in orders if o.status in REFUNDED]
        for order_pk in refunded:
            if reverse_order(program=program, order_pk=order_pk, at=at, actor=actor):
                result.reversed += 1
            else:
                result.skipped += 1
        if refunded:
            reverse_referrals(program=program, order_pks=refunded, actor=actor, at=at)
    return result


def _earn_for_orders(
    program: Program,
    orders: list[selectors.OrderForPoints],
    rules: list[EarnRule],
    at: datetime,
    actor: Actor,
    result: OrderPointsResult,
) -> None:
    wanted: dict[str, tuple[selectors.OrderForPoints, int]] = {}
    multipliers = selectors.tier_multipliers(
        program=program, customer_pks={o.customer_pk for o in orders}
    )
    for order in orders:
        points = 0
        if order.ordered_at >= program.starts_at and order.currency == program.currency:
            points = order_points(
                program=program,
                order=order,
                rules=rules,
                tier_multiplier=multipliers.get(order.customer_pk, Decimal(1)),
            )
        if points > 0:
            wanted[order_key(order.pk)] = (order, points)
        else:
            result.skipped += 1
    if not wanted:
        return
    with transaction.atomic():
        customer_pks = sorted({order.customer_pk for order, _points in wanted.values()})
        Account.objects.bulk_create(
            [Account(program=program, customer_id=pk) for pk in customer_pks], ignore_conflicts=True
        )
        # Locked in primary-key order, so concurrent runs wait rather than deadlock.
        accounts = {
            a.customer_id: a
            for a in Account.objects.select_for_update()
            .filter(program=program, customer_id__in=customer_pks)
            .order_by("pk")
        }
        done = set(
            Entry.objects.filter(program=program, idempotency_key__in=list(wanted)).values_list(
                "idempotency_key", flat=True
            )
        )
        earned_today = _earned_today(program, [a.pk for a in accounts.values()], at)
        expires_at = at + timedelta(days=program.expiry_days)
        pending = timedelta(days=program.pending_days)
        entries, lots, touched = [], [], {}
        for key, (order, points) in wanted.items():
            if key in done:
                result.skipped += 1
                continue
            account = accounts[order.customer_pk]
            gross = points
            if program.daily_earn_cap is not None:
                gross = max(
                    0, min(points, program.daily_earn_cap - earned_today.get(account.pk, 0))
                )
                earned_today[account.pk] = earned_today.get(account.pk, 0) + gross
            paid = fifo.pay_debt(account.debt, gross)
            account.debt -= paid
            account.balance += gross - paid
            account.lifetime_earned += gross
            touched[account.pk] = account
            available_at = max(at, order.ordered_at + pending)
            entry = Entry(
                program=program,
                account=account,
                kind=EntryKind.EARN,
                source=Source.ORDER,
                source_ref=str(order.pk),
                amount=points,
                points=gross - paid,
                debt_delta=-paid,
                balance_after=account.balance,
                idempotency_key=key,
                expires_at=expires_at,
                available_at=available_at,
                actor_label=actor.display,
                at=at,
            )
            entries.append(entry)
            if gross > 0:
                lots.append(
                    Lot(
                        account=account,
                        entry=entry,
                        points=gross,
                        remaining=gross - paid,
                        expires_at=expires_at,
                        available_at=available_at,
                    )
                )
            result.earned += 1
            result.points += gross
            result.keys.append(key)
        Entry.objects.bulk_create(entries, batch_size=2000)
        for lot in lots:
            lot.entry_id = lot.entry.pk
        Lot.objects.bulk_create(lots, batch_size=2000)
        Account.objects.bulk_update(
            list(touched.values()), ["balance", "debt", "lifetime_earned"], batch_size=2000
        )


def _earned_today(program: Program, account_pks: list[int], at: datetime) -> dict[int, int]:
    if program.daily_earn_cap is None:
        return {}
    start = timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
    return dict(
        Lot.objects.filter(
            account_id__in=account_pks,
            entry__kind=EntryKind.EARN,
            entry__at__gte=start,
            entry__at__lt=start + timedelta(days=1),
            entry__reversals__isnull=True,
        )
        .values_list("account_id")
        .annotate(total=Sum("points"))
        .values_list("account_id", "total")
    )


def reverse_order(
    *, program: Program, order_pk: int, at: datetime | None = None, actor: Actor = SYSTEM
) -> bool:
    """Take back the points order ``order_pk`` earned (see the ledger's debt rule).

    Returns False when the order earned nothing or was already reversed.
    """
    earned = selectors.one_or_none(
        Entry.objects.filter(program=program, idempotency_key=order_key(order_pk))
    )
    if earned is None:
        return False
    key = f"reverse:{order_key(order_pk)}"
    if Entry.objects.filter(program=program, idempotency_key=key).exists():
        return False
    at = at or timezone.now()
    customer_pk = Account.objects.values_list("customer_id", flat=True).get(pk=earned.account_id)
    request = Request(
        EntryKind.REVERSE, earned.source, earned.source_ref, earned.amount, reverses=earned.pk
    )

    def write(account: Account) -> Entry:
        if Entry.objects.filter(reverses=earned).exists():
            raise DomainError(_("This entry was already reversed."), code="already_reversed")
        return reverse_locked(
            account,
            target=earned,
            at=at,
            actor=actor,
            key=key,
            reason=_("Order refunded or cancelled"),
        )

    run_once(program, key, customer_pk, request, write)
    return True


def award_action(
    *, source: str, ref: str, customer_pk: int, at: datetime | None = None, actor: Actor = SYSTEM
) -> Entry | None:
    """Award the program's points for an action (survey, review, referral, birthday).

    Idempotent on (source, ref). Returns None when the program gives nothing
    for this action. Locks the account; respects the daily cap.
    """
    program = default_program()
    by_source: dict[str, int] = {
        Source.SURVEY: program.survey_points,
        Source.REVIEW: program.review_points,
        Source.REFERRAL: program.referral_points,
        Source.BIRTHDAY: program.birthday_points,
    }
    points = by_source.get(source, 0)
    if not program.active or points <= 0:
        return None
    at = at or timezone.now()
    key = f"{source}:{ref}"
    request = Request(EntryKind.EARN, source, ref, points)
    return run_once(
        program,
        key,
        customer_pk,
        request,
        lambda account: earn_into(
            account,
            program=program,
            amount=points,
            source=source,
            at=at,
            actor=actor,
            key=key,
            source_ref=ref,
            capped=capped_amount(account, program=program, amount=points, source=source, at=at),
        ),
    )
