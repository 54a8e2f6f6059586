"""Managing coupon campaigns: create and change them, pause, resume or end them, issue codes.

A campaign's discount (kind, value, currency) cannot change once a coupon of
it was used: end it and start another. Its use budget cannot drop below what
was already used. Ending is final: ``ends_at`` becomes the ending time, so no
code of the campaign can be used or issued afterwards, and only the name of an
ended campaign can change.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.core.money import minor_units
from dangol.customers.models import Customer
from dangol.loyalty.models import Coupon, CouponCampaign
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.coupons import new_code
from dangol.loyalty.services.ledger import default_program

CAMPAIGN_FIELDS = (
    "name",
    "kind",
    "value",
    "max_discount",
    "min_spend",
    "starts_at",
    "ends_at",
    "valid_days",
    "multi_use",
    "member_only",
    "per_customer_limit",
    "budget_uses",
    "budget_amount",
    "points_cost",
    "auto",
)
DISCOUNT_FIELDS = ("kind", "value")
MAX_AMOUNT = Decimal("99999999999999")  # 14 digits, the column's limit
MAX_COUNT = 2_000_000_000
ISSUE_BATCH = 1000
MAX_ISSUE = 100_000  # codes per issue: a page request must finish in seconds


def _amount_problem(value: Decimal | None, currency: str, *, positive: bool) -> str | None:
    if value is None:
        return None
    if value < 0 or (positive and value == 0):
        return _("Must be above zero.") if positive else _("Must not be negative.")
    if value > MAX_AMOUNT:
        return _("Too large.")
    places = minor_units(currency)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        return _("%(currency)s allows %(places)s decimal places.") % {
            "currency": currency,
            "places": places,
        }
    return None


def check_campaign(values: dict[str, Any], *, campaign: CouponCampaign) -> list[FieldProblem]:
    """Every problem with ``values`` for ``campaign`` (unsaved for a new one), by field."""
    problems: list[FieldProblem] = []

    def bad(field: str, message: str) -> None:
        problems.append(FieldProblem(field, message))

    currency = campaign.currency
    if not str(values.get("name") or "").strip():
        bad("name", _("This field is required."))
    kind = values.get("kind")
    if kind not in CouponCampaign.Kind.values:
        bad("kind", _("Choose fixed amount or percent."))
    value = values.get("value")
    if value is None:
        bad("value", _("This field is required."))
    elif kind == CouponCampaign.Kind.PERCENT:
        if not Decimal(0) < value <= Decimal(100):
            bad("value", _("A percent above 0 and at most 100."))
    elif message := _amount_problem(value, currency, positive=True):
        bad("value", message)
    for field, positive in (("max_discount", True), ("min_spend", False)):
        if message := _amount_problem(values.get(field), currency, positive=positive):
            bad(field, message)
    if message := _amount_problem(values.get("budget_amount"), currency, positive=True):
        bad("budget_amount", message)
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        bad("ends_at", _("Must be after the start."))
    for field in ("valid_days", "per_customer_limit", "budget_uses", "points_cost"):
        number = values.get(field)
        if number is not None and not 1 <= number <= MAX_COUNT:
            bad(field, _("A whole number from 1 to %(max)s.") % {"max": f"{MAX_COUNT:,}"})
    if values.get("per_customer_limit") is None:
        bad("per_customer_limit", _("This field is required."))
    if values.get("auto", "") not in CouponCampaign.Auto.values:
        bad("auto", _("Unknown choice."))
    if campaign.pk is not None and is_ended(campaign, timezone.now()):
        for field in CAMPAIGN_FIELDS:
            if field != "name" and field in values and values[field] != getattr(campaign, field):
                bad(field, _("This campaign has ended: only its name can change."))
    if campaign.pk is not None:
        if campaign.used_count > 0:
            for field in DISCOUNT_FIELDS:
                if field in values and values[field] != getattr(campaign, field):
                    bad(
                        field,
                        _(
                            "Coupons of this campaign were used: the discount cannot change. "
                            "End it and start a new campaign."
                        ),
                    )
        budget_uses = values.get("budget_uses")
        if budget_uses is not None and budget_uses < campaign.used_count:
            bad(
                "budget_uses",
                _("Already used %(used)s times; the budget cannot be lower.")
                % {"used": f"{campaign.used_count:,}"},
            )
        budget_amount = values.get("budget_amount")
        if budget_amount is not None and budget_amount < campaign.used_amount:
            bad(
                "budget_amount",
                _("%(used)s was already given; the budget cannot be lower.")
                % {"used": f"{campaign.used_amount:,.0f}"},
            )
    return problems


def save_campaign(
    *, actor: Actor, values: dict[str, Any], campaign_id: int | None = None
) -> CouponCampaign:
    """Create a campaign (``campaign_id`` None) or change one; writes an audit row.

    Raises ValidationFailed naming each bad field (nothing is saved),
    NotFound (``unknown_campaign``), PermissionDenied.
    """
    require(actor, "loyalty.manage")
    values = {k: v for k, v in values.items() if k in CAMPAIGN_FIELDS}
    if isinstance(values.get("name"), str):
        values["name"] = values["name"].strip()
    with transaction.atomic():
        if campaign_id is None:
            program = default_program()
            campaign = CouponCampaign(program=program, currency=program.currency)
        else:
            campaign = _lock(campaign_id)
        for field in ("starts_at", "ends_at"):
            # The form shows times to the minute: the same minute is no change.
            old, new = getattr(campaign, field), values.get(field)
            if old is not None and new is not None and old.replace(second=0, microsecond=0) == new:
                values[field] = old
        merged = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS} | values
        if campaign.pk is None:
            merged["per_customer_limit"] = values.get("per_customer_limit", 1)
        problems = check_campaign(merged, campaign=campaign)
        if problems:
            raise ValidationFailed(problems)
        changed = [f for f in CAMPAIGN_FIELDS if getattr(campaign, f) != merged[f]]
        for field in changed:
            setattr(campaign, field, merged[field])
        if campaign.pk is None:
            campaign.save()
            record_audit(actor=actor, action="create", obj=campaign, fields=changed)
        elif changed:
            campaign.save(update_fields=[*changed, "updated_at"])
            record_audit(actor=actor, action="update", obj=campaign, fields=changed)
    return campaign


def _lock(campaign_id: int) -> CouponCampaign:
    campaign = one_or_none(CouponCampaign.objects.select_for_update().filter(pk=campaign_id))
    if campaign is None:
        raise NotFound(_("No such coupon campaign."), code="unknown_campaign")
    return campaign


def is_ended(campaign: CouponCampaign, at: datetime) -> bool:
    return campaign.ends_at is not None and campaign.ends_at <= at


def set_campaign_state(
    *, actor: Actor, campaign_id: int, action: str, at: datetime | None = None
) -> CouponCampaign:
    """``pause`` (codes refused until resumed), ``resume``, or ``end`` (final).

    Repeating an action is harmless. Writes an audit row. Raises
    ValidationFailed (``action``), DomainError (``campaign_ended``),
    NotFound, PermissionDenied.
    """
    require(actor, "loyalty.manage")
    if action not in {"pause", "resume", "end"}:
        raise ValidationFailed([FieldProblem("action", _("Unknown action."))])
    at = at or timezone.now()
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if is_ended(campaign, at):
            if action == "end":
                return campaign
            raise DomainError(_("This campaign has ended."), code="campaign_ended")
        fields = ["active"]
        campaign.active = action == "resume"
        if action == "end":
            campaign.ends_at = at
            fields.append("ends_at")
        campaign.save(update_fields=[*fields, "updated_at"])
        record_audit(actor=actor, action=action, obj=campaign, fields=fields)
    return campaign


@dataclass(frozen=True)
class IssueResult:
    issued: int  # new codes
    already: int  # customers who had a code from this same issue


def issue_to_customers(
    *,
    actor: Actor,
    campaign_id: int,
    issue_key: str,
    customer_pks: Iterable[int] = (),
    segment_id: int | None = None,
    at: datetime | None = None,
) -> IssueResult:
    """Give one personal code to each customer (listed, or in a saved segment now).

    ``issue_key`` names this issue: sending the same form twice gives nobody a
    second code. Writes one audit row. Raises ValidationFailed (``customer``,
    ``segment``, ``issue_key``), DomainError (``campaign_ended``), NotFound.
    """
    require(actor, "loyalty.manage")
    issue_key = (issue_key or "").strip()
    if not issue_key or len(issue_key) > 100:
        raise ValidationFailed([FieldProblem("issue_key", _("This field is required."))])
    at = at or timezone.now()
    pks = sorted(set(customer_pks))
    if segment_id is not None:
        from dangol.segments.selectors import find_segment, segment_customers

        segment = find_segment(segment_id)
        if segment is None:
            raise ValidationFailed([FieldProblem("segment", _("No such segment."))])
        pks = sorted(set(pks) | set(segment_customers(segment).values_list("pk", flat=True)))
        if not pks:
            raise ValidationFailed(
                [FieldProblem("segment", _("This segment has no customers right now."))]
            )
    if not pks:
        raise ValidationFailed([FieldProblem("customer", _("Choose a customer or a segment."))])
    if len(pks) > MAX_ISSUE:
        raise ValidationFailed(
            [
                FieldProblem(
                    "segment",
                    _("%(count)s customers: at most %(max)s codes can be issued at once.")
                    % {"count": f"{len(pks):,}", "max": f"{MAX_ISSUE:,}"},
                )
            ]
        )
    known = Customer.objects.filter(pk__in=pks).count()
    if known != len(pks):
        raise ValidationFailed([FieldProblem("customer", _("No such customer."))])
    with transaction.atomic():
        campaign = _lock(campaign_id)
        if is_ended(campaign, at):
            raise DomainError(_("This campaign has ended."), code="campaign_ended")
        have = set(
            Coupon.objects.filter(
                campaign=campaign, issue_key=issue_key, customer_id__in=pks
            ).values_list("customer_id", flat=True)
        )
        expires_at = at + timedelta(days=campaign.valid_days) if campaign.valid_days else None
        fresh = [
            Coupon(
                campaign=campaign,
                code=new_code(),
                customer_id=pk,
                issue_key=issue_key,
                expires_at=expires_at,
            )
            for pk in pks
            if pk not in have
        ]
        Coupon.objects.bulk_create(fresh, batch_size=ISSUE_BATCH)
        if fresh:
            record_audit(
                actor=actor,
                action="issue_coupons",
                obj=campaign,
                fields=["coupons"],
            )
    return IssueResult(issued=len(fresh), already=len(have))
