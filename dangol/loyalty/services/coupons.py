"""Coupons: issuing codes, and the checkout flow validate → reserve → confirm or release.

A reservation holds the coupon (and its share of the campaign's budget) for a
checkout; it is confirmed when the order is paid or released when it is not.
A reservation not confirmed in time is released by the next reservation that
touches the campaign. Rows are locked coupon first, then campaign.

Discounts: a fixed amount, or a percent of the order rounded down to the
currency's minor unit (whole won for KRW), never above ``max_discount`` nor
the order amount.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.core.money import minor_units
from dangol.customers.models import Customer
from dangol.loyalty.models import Coupon, CouponCampaign, CouponUse, EntryKind, Source
from dangol.loyalty.selectors import one_or_none, reward_catalogue
from dangol.loyalty.services.ledger import Request, default_program, run_once, take_from

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31^12 ≈ 2^59 codes: guessing one is hopeless
HOLD = timedelta(minutes=15)


class CouponRefused(DomainError):
    status = 409
    code = "coupon_refused"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def display_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class Quote:
    coupon: Coupon
    discount: Decimal


def issue_coupon(
    *,
    actor: Actor,
    campaign: CouponCampaign,
    customer_pk: int | None = None,
    issue_key: str = "",
    at: datetime | None = None,
) -> Coupon:
    """Create a coupon with an unguessable code (once per ``issue_key`` and customer)."""
    require(actor, "loyalty.manage")
    at = at or timezone.now()
    if issue_key and customer_pk is not None:
        earlier = one_or_none(
            Coupon.objects.filter(campaign=campaign, customer_id=customer_pk, issue_key=issue_key)
        )
        if earlier is not None:
            return earlier
    return create_coupon(campaign=campaign, customer_pk=customer_pk, issue_key=issue_key, at=at)


def create_coupon(
    *, campaign: CouponCampaign, customer_pk: int | None, issue_key: str, at: datetime
) -> Coupon:
    """Write one new code (callers check permission and repeats)."""
    expires_at = at + timedelta(days=campaign.valid_days) if campaign.valid_days else None
    return Coupon.objects.create(
        campaign=campaign,
        code=new_code(),
        customer_id=customer_pk,
        issue_key=issue_key,
        expires_at=expires_at,
    )


def discount_for(campaign: CouponCampaign, amount: Decimal) -> Decimal:
    if campaign.kind == CouponCampaign.Kind.FIXED:
        discount = campaign.value
    else:
        step = Decimal(1).scaleb(-minor_units(campaign.currency))
        discount = (amount * campaign.value / 100).quantize(step, rounding=ROUND_FLOOR)
    if campaign.max_discount is not None:
        discount = min(discount, campaign.max_discount)
    return min(discount, amount)


def _refuse(code: str, message: str) -> CouponRefused:
    return CouponRefused(message, code=code)


def _find(code: str, *, lock: bool) -> Coupon:
    coupons = Coupon.objects.select_related("campaign")
    if lock:
        coupons = coupons.select_for_update(of=("self",))
    coupon = one_or_none(coupons.filter(code=normalise_code(code)))
    if coupon is None:
        raise NotFound(_("No such coupon code."), code="unknown_coupon")
    return coupon


def _check(
    coupon: Coupon, *, customer_pk: int | None, amount: Decimal, currency: str, at: datetime
) -> Decimal:
    """The discount, or CouponRefused with a stable code saying why not."""
    campaign = coupon.campaign
    if amount < 0:
        raise ValidationFailed([FieldProblem("order_amount", _("Must not be negative."))])
    if (campaign.ends_at and at >= campaign.ends_at) or (
        coupon.expires_at and at >= coupon.expires_at
    ):
        raise _refuse("coupon_expired", _("This coupon has expired."))
    if not campaign.active:
        raise _refuse("coupon_paused", _("This coupon cannot be used for now."))
    if campaign.starts_at and at < campaign.starts_at:
        raise _refuse("coupon_not_started", _("This coupon cannot be used yet."))
    if currency.upper() != campaign.currency:
        raise _refuse("currency_mismatch", _("This coupon is for another currency."))
    if campaign.member_only and customer_pk is None:
        raise _refuse("members_only", _("This coupon is for members only."))
    if coupon.customer_id is not None and coupon.customer_id != customer_pk:
        raise _refuse("not_your_coupon", _("This coupon belongs to another customer."))
    if not campaign.multi_use and coupon.uses > 0:
        raise _refuse("coupon_used", _("This coupon was already used."))
    if amount < campaign.min_spend:
        raise _refuse("min_spend_not_met", _("The order is below the coupon's minimum spend."))
    if customer_pk is not None:
        used = (
            CouponUse.objects.filter(coupon__campaign=campaign, customer_id=customer_pk)
            .exclude(status=CouponUse.Status.RELEASED)
            .count()
        )
        if used >= campaign.per_customer_limit:
            raise _refuse("per_customer_limit", _("You have used this coupon already."))
    discount = discount_for(campaign, amount)
    if (campaign.budget_uses is not None and campaign.used_count >= campaign.budget_uses) or (
        campaign.budget_amount is not None
        and campaign.used_amount + discount > campaign.budget_amount
    ):
        raise _refuse("budget_exhausted", _("This coupon's budget is used up."))
    return discount


def validate_coupon(
    *,
    code: str,
    customer_pk: int | None,
    order_amount: Decimal,
    currency: str,
    at: datetime | None = None,
) -> Quote:
    """What the coupon would take off this order; changes nothing. Raises CouponRefused."""
    coupon = _find(code, lock=False)
    discount = _check(
        coupon,
        customer_pk=customer_pk,
        amount=order_amount,
        currency=currency,
        at=at or timezone.now(),
    )
    return Quote(coupon, discount)


def reserve_coupon(
    *,
    actor: Actor,
    code: str,
    customer_pk: int | None,
    order_amount: Decimal,
    currency: str,
    order_ref: str,
    idempotency_key: str,
    at: datetime | None = None,
) -> CouponUse:
    """Hold the coupon for a checkout for 15 minutes; a repeated key returns the first hold.

    Locks the coupon, then its campaign. Raises CouponRefused, NotFound.
    """
    require(actor, "loyalty.transact")
    if not idempotency_key.strip():
        raise ValidationFailed([FieldProblem("idempotency_key", _("This field is required."))])
    at = at or timezone.now()
    with transaction.atomic():
        earlier = one_or_none(CouponUse.objects.filter(idempotency_key=idempotency_key))
        if earlier is not None:
            return earlier
        coupon = _find(code, lock=True)
        campaign = CouponCampaign.objects.select_for_update().get(pk=coupon.campaign_id)
        coupon.campaign = campaign
        _release_stale(campaign, at)
        coupon.refresh_from_db(fields=["uses"])
        discount = _check(
            coupon, customer_pk=customer_pk, amount=order_amount, currency=currency, at=at
        )
        use = CouponUse.objects.create(
            coupon=coupon,
            customer_id=customer_pk,
            order_ref=order_ref,
            order_amount=order_amount,
            discount=discount,
            reserved_until=at + HOLD,
            idempotency_key=idempotency_key,
        )
        Coupon.objects.filter(pk=coupon.pk).update(uses=F("uses") + 1)
        CouponCampaign.objects.filter(pk=campaign.pk).update(
            used_count=F("used_count") + 1, used_amount=F("used_amount") + discount
        )
    return use


def confirm_coupon(
    *, actor: Actor, use_id: int, order_ref: str = "", at: datetime | None = None
) -> CouponUse:
    """Make a reservation final (the order was paid). Confirming twice is harmless.

    Raises NotFound (``unknown_reservation``), CouponRefused (``reservation_released``,
    ``reservation_expired``: the hold ran out and was released).
    """
    require(actor, "loyalty.transact")
    at = at or timezone.now()
    with transaction.atomic():
        use = _lock_use(use_id)
        if use.status == CouponUse.Status.CONFIRMED:
            return use
        if use.status == CouponUse.Status.RELEASED:
            raise _refuse("reservation_released", _("This reservation was released."))
        if use.reserved_until <= at:
            _release(use)
            raise _refuse("reservation_expired", _("This reservation ran out; reserve again."))
        use.status = CouponUse.Status.CONFIRMED
        use.order_ref = order_ref or use.order_ref
        use.save(update_fields=["status", "order_ref", "updated_at"])
    return use


def release_coupon(*, actor: Actor, use_id: int) -> CouponUse:
    """Give a reserved coupon back (checkout abandoned). Releasing twice is harmless.

    Raises NotFound, CouponRefused (``reservation_confirmed``).
    """
    require(actor, "loyalty.transact")
    with transaction.atomic():
        use = _lock_use(use_id)
        if use.status == CouponUse.Status.CONFIRMED:
            raise _refuse("reservation_confirmed", _("A confirmed coupon cannot be released."))
        if use.status == CouponUse.Status.RESERVED:
            _release(use)
    return use


def _lock_use(use_id: int) -> CouponUse:
    found = one_or_none(CouponUse.objects.filter(pk=use_id).values_list("coupon_id", flat=True))
    if found is None:
        raise NotFound(_("No such reservation."), code="unknown_reservation")
    coupon = Coupon.objects.select_for_update().get(pk=found)
    CouponCampaign.objects.select_for_update().get(pk=coupon.campaign_id)
    return CouponUse.objects.select_for_update().get(pk=use_id)


def _release(use: CouponUse) -> None:
    """Release one reservation; call holding the coupon and campaign locks."""
    use.status = CouponUse.Status.RELEASED
    use.save(update_fields=["status", "updated_at"])
    coupon = Coupon.objects.get(pk=use.coupon_id)
    Coupon.objects.filter(pk=coupon.pk).update(uses=F("uses") - 1)
    CouponCampaign.objects.filter(pk=coupon.campaign_id).update(
        used_count=F("used_count") - 1, used_amount=F("used_amount") - use.discount
    )


def _release_stale(campaign: CouponCampaign, at: datetime) -> None:
    """Release the campaign's holds that ran out; call holding the campaign lock."""
    stale = list(
        CouponUse.objects.filter(
            coupon__campaign=campaign, status=CouponUse.Status.RESERVED, reserved_until__lte=at
        )
    )
    for use in stale:
        _release(use)
    if stale:
        campaign.refresh_from_db(fields=["used_count", "used_amount"])


def buy_reward(
    *,
    actor: Actor,
    customer_pk: int,
    campaign_id: int,
    idempotency_key: str,
    at: datetime | None = None,
) -> Coupon:
    """Spend points on a reward from the catalogue; the customer gets its coupon.

    One transaction: the points are redeemed (FIFO) and the coupon issued, or
    neither. A repeated key returns the same coupon. A paused or ended reward is
    not for sale, nor one whose use budget is spent. Raises InsufficientPoints,
    NotFound (``unknown_reward``), CouponRefused (``budget_exhausted``),
    IdempotencyConflict.
    """
    require(actor, "loyalty.transact")
    at = at or timezone.now()
    bought = one_or_none(
        Coupon.objects.filter(
            campaign_id=campaign_id, customer_id=customer_pk, issue_key=f"reward:{idempotency_key}"
        )
    )
    if bought is not None:
        return bought
    campaign = one_or_none(reward_catalogue(at=at).filter(pk=campaign_id))
    if campaign is None:
        raise NotFound(_("No such reward."), code="unknown_reward")
    if campaign.budget_uses is not None and campaign.used_count >= campaign.budget_uses:
        raise _refuse("budget_exhausted", _("This coupon's budget is used up."))
    program = default_program()
    cost = campaign.points_cost or 0
    request = Request(EntryKind.REDEEM, Source.REWARD, str(campaign.pk), cost)
    with transaction.atomic():
        run_once(
            program,
            idempotency_key,
            customer_pk,
            request,
            lambda account: take_from(
                account,
                amount=cost,
                at=at,
                include_pending=False,
                actor=actor,
                kind=EntryKind.REDEEM,
                source=Source.REWARD,
                key=idempotency_key,
                source_ref=str(campaign.pk),
            ),
        )
        issue_key = f"reward:{idempotency_key}"
        earlier = one_or_none(
            Coupon.objects.filter(campaign=campaign, customer_id=customer_pk, issue_key=issue_key)
        )
        if earlier is not None:
            return earlier
        return create_coupon(campaign=campaign, customer_pk=customer_pk, issue_key=issue_key, at=at)


def issue_automatic_coupons(*, at: datetime | None = None) -> int:
    """Issue welcome coupons to new customers and birthday coupons in the birthday month.

    Daily; safe to run twice (one coupon per campaign, customer and issue key,
    enforced by the database). Returns the number of coupons issued.
    """
    at = at or timezone.now()
    today = timezone.localdate(at)
    issued = 0
    for campaign in CouponCampaign.objects.filter(active=True).exclude(auto=""):
        if campaign.auto == CouponCampaign.Auto.WELCOME:
            since = campaign.starts_at or campaign.created_at
            customers = Customer.objects.filter(joined_at__gte=since)
            key = "welcome"
        else:
            customers = Customer.objects.filter(birthday__month=today.month)
            key = f"birthday:{today.year}"
        have = Coupon.objects.filter(campaign=campaign, issue_key=key).values("customer_id")
        expires_at = at + timedelta(days=campaign.valid_days) if campaign.valid_days else None
        fresh = [
            Coupon(
                campaign=campaign,
                code=new_code(),
                customer_id=pk,
                issue_key=key,
                expires_at=expires_at,
            )
            for pk in customers.exclude(pk__in=have).values_list("pk", flat=True)
        ]
        Coupon.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
        issued += len(fresh)
        if fresh:
            record_audit(
                actor=SYSTEM,
                action="issue_coupons",
                object_type_label="loyalty.couponcampaign",
                object_id=str(campaign.pk),
                fields=["coupons"],
            )
    return issued
