"""First-come events (선착순): exactly ``capacity`` winners, each customer at most once.

A winner gets the event's points, a personal coupon of its campaign, or both.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.loyalty.models import Claim, Coupon, CouponCampaign, Entry, Event, Source
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.coupons import create_coupon
from dangol.loyalty.services.ledger import default_program, earn_into, lock_account


class SoldOut(DomainError):
    status = 409
    code = "sold_out"


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    created: bool  # False: this customer had already claimed


MAX_WINNERS = 1_000_000
MAX_POINTS = 1_000_000_000


def create_event(
    *,
    actor: Actor,
    name: str,
    capacity: int,
    points: int = 0,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    coupon_campaign_id: int | None = None,
    at: datetime | None = None,
) -> Event:
    """Create a first-come event whose winners get ``points``, a coupon, or both.

    Raises ValidationFailed naming each bad field (nothing is created).
    """
    require(actor, "loyalty.manage")
    at = at or timezone.now()
    problems = []
    if not name.strip():
        problems.append(FieldProblem("name", _("This field is required.")))
    elif len(name.strip()) > 100:
        problems.append(FieldProblem("name", _("At most 100 characters.")))
    if not 1 <= capacity <= MAX_WINNERS:
        problems.append(
            FieldProblem(
                "capacity",
                _("A whole number from 1 to %(max)s.") % {"max": f"{MAX_WINNERS:,}"},
            )
        )
    if not 0 <= points <= MAX_POINTS:
        problems.append(
            FieldProblem(
                "points", _("A whole number from 0 to %(max)s.") % {"max": f"{MAX_POINTS:,}"}
            )
        )
    campaign = None
    if coupon_campaign_id is not None:
        campaign = CouponCampaign.objects.filter(pk=coupon_campaign_id).first()
        if campaign is None:
            problems.append(FieldProblem("coupon_campaign", _("No such coupon campaign.")))
        elif not campaign.active or (campaign.ends_at is not None and campaign.ends_at <= at):
            problems.append(
                FieldProblem("coupon_campaign", _("This coupon campaign is paused or ended."))
            )
    if points == 0 and coupon_campaign_id is None:
        problems.append(FieldProblem("points", _("Give points, a coupon, or both.")))
    if starts_at and ends_at and ends_at <= starts_at:
        problems.append(FieldProblem("ends_at", _("Must be after the start.")))
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        event = Event.objects.create(
            program=default_program(),
            name=name.strip(),
            capacity=capacity,
            points=points,
            starts_at=starts_at,
            ends_at=ends_at,
            coupon_campaign=campaign,
        )
        record_audit(
            actor=actor,
            action="create",
            obj=event,
            fields=["name", "capacity", "points", "starts_at", "ends_at", "coupon_campaign"],
        )
    return event


def close_event(*, actor: Actor, event_id: int, at: datetime | None = None) -> Event:
    """Close an event now: later claims get ``event_closed``; the winners keep their prize.

    Closing twice is harmless. Writes an audit row. Raises NotFound (``unknown_event``).
    """
    require(actor, "loyalty.manage")
    at = at or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(_("No such event."), code="unknown_event")
        if event.ends_at is None or event.ends_at > at:
            event.ends_at = at
            event.save(update_fields=["ends_at", "updated_at"])
            record_audit(actor=actor, action="close", obj=event, fields=["ends_at"])
    return event


def claim_event(
    *, actor: Actor, event_id: int, customer_pk: int, at: datetime | None = None
) -> ClaimResult:
    """Claim a place in event ``event_id`` for a customer, and give its prize.

    The place is taken by one conditional ``UPDATE … SET claimed = claimed + 1
    WHERE claimed < capacity RETURNING claimed``: the database serialises
    concurrent claims on the event row, so there are never more than
    ``capacity`` winners, and the returned count is the winner's place. That
    statement comes last (on PostgreSQL it inserts the claim too), so the hot
    event row is locked only until the commit. A repeat claim by the same customer returns their
    first claim. Locks the account, then the event row (never the other way
    round). Raises SoldOut, NotFound (``unknown_event``, ``unknown_customer``),
    DomainError (``event_closed``).
    """
    require(actor, "loyalty.transact")
    at = at or timezone.now()
    event = Event.objects.select_related("program", "coupon_campaign").filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("No such event."), code="unknown_event")
    if (event.starts_at and at < event.starts_at) or (event.ends_at and at >= event.ends_at):
        raise DomainError(_("This event is not open now."), code="event_closed")
    with transaction.atomic():
        # The account lock first: it serialises a customer's own concurrent
        # claims, so a repeat never holds a place it will give back.
        key = f"event:{event.pk}:{customer_pk}"
        account = lock_account(program=event.program, customer_pk=customer_pk, key=key)
        # With points, a claim always wrote its entry under ``key``, and the lock
        # query looked for it already: no entry, no earlier claim.
        if not event.points or getattr(account, "earlier_id", None) is not None:
            earlier = one_or_none(Claim.objects.filter(event=event, customer_id=customer_pk))
            if earlier is not None:
                return ClaimResult(earlier, False)
        if event.claimed >= event.capacity:
            # Places are never given back, so an old count that says "full" is right.
            raise SoldOut(_("Sorry, all places have been taken."))
        entry = None
        if event.points:
            # Written before the place is taken; a sold-out claim rolls it back.
            entry = earn_into(
                account,
                program=event.program,
                amount=event.points,
                source=Source.EVENT,
                source_ref=str(event.pk),
                at=at,
                actor=actor,
                key=key,
                reason=event.name,
            )
        coupon = None
        if event.coupon_campaign_id is not None:
            coupon = create_coupon(
                campaign=event.coupon_campaign,
                customer_pk=customer_pk,
                issue_key=f"event:{event.pk}",
                at=at,
            )
        claim = _take_place(event, customer_pk, entry, coupon, at)
        if claim is None:
            raise SoldOut(_("Sorry, all places have been taken."))
    return ClaimResult(claim, True)


@cache
def _place_sql(vendor: str) -> str:
    """Take the next place (a conditional counter update); on PostgreSQL, and insert the
    claim in the same statement."""
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    claimed = ops.quote_name("claimed")
    # Only quoted model metadata goes into the SQL text; values are parameters.
    place = (
        f"UPDATE {table} SET {claimed} = {claimed} + 1 "  # noqa: S608
        f"WHERE {ops.quote_name('id')} = %s AND {claimed} < {ops.quote_name('capacity')} "
        f"RETURNING {claimed}"
    )
    if vendor != "postgresql":
        return place
    columns = ", ".join(
        ops.quote_name(c)
        for c in ("event_id", "customer_id", "position", "entry_id", "coupon_id", "at")
    )
    return (
        f"WITH p AS ({place}) INSERT INTO {ops.quote_name(Claim._meta.db_table)} "  # noqa: S608
        f"({columns}) SELECT %s, %s, p.{claimed}, %s, %s, %s FROM p "
        f"RETURNING {ops.quote_name('id')}, {ops.quote_name('position')}"
    )


def _take_place(
    event: Event, customer_pk: int, entry: Entry | None, coupon: Coupon | None, at: datetime
) -> Claim | None:
    """Take the next place of the event and record the claim; None when none is left."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                _place_sql(vendor),
                [
                    event.pk,
                    event.pk,
                    customer_pk,
                    entry.pk if entry else None,
                    coupon.pk if coupon else None,
                    connection.ops.adapt_datetimefield_value(at),
                ],
            )
            row = cursor.fetchone()
            if row is None:
                return None
            claim = Claim(
                pk=row[0],
                event=event,
                customer_id=customer_pk,
                position=row[1],
                entry=entry,
                coupon=coupon,
                at=at,
            )
            claim._state.adding = False
            claim._state.db = connection.alias
            return claim
        cursor.execute(_place_sql(vendor), [event.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    return Claim.objects.create(
        event=event, customer_id=customer_pk, position=row[0], entry=entry, coupon=coupon, at=at
    )
