"""First-come events (선착순): exactly ``capacity`` winners, each customer at most once."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.loyalty.models import Claim, Event, Source
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.ledger import default_program, earn_into, lock_account


class SoldOut(DomainError):
    status = 409
    code = "sold_out"


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    created: bool  # False: this customer had already claimed


def create_event(
    *,
    actor: Actor,
    name: str,
    capacity: int,
    points: int,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Event:
    """Create a first-come event. Raises ValidationFailed naming the field."""
    require(actor, "loyalty.manage")
    problems = []
    if not name.strip():
        problems.append(FieldProblem("name", _("This field is required.")))
    if capacity <= 0:
        problems.append(FieldProblem("capacity", _("Must be a whole number above zero.")))
    if points < 0:
        problems.append(FieldProblem("points", _("Must not be negative.")))
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
        )
        record_audit(
            actor=actor,
            action="create",
            obj=event,
            fields=["name", "capacity", "points", "starts_at", "ends_at"],
        )
    return event


def claim_event(
    *, actor: Actor, event_id: int, customer_pk: int, at: datetime | None = None
) -> ClaimResult:
    """Claim a place in event ``event_id`` for a customer, and award its points.

    The place is taken by one conditional ``UPDATE … SET claimed = claimed + 1
    WHERE claimed < capacity RETURNING claimed``: the database serialises
    concurrent claims on the event row, so there are never more than
    ``capacity`` winners, and the returned count is the winner's place. That
    statement comes last, so the hot event row is locked only for the claim
    insert and the commit. A repeat claim by the same customer returns their
    first claim. Locks the account, then the event row (never the other way
    round). Raises SoldOut, NotFound (``unknown_event``, ``unknown_customer``),
    DomainError (``event_closed``).
    """
    require(actor, "loyalty.transact")
    at = at or timezone.now()
    event = Event.objects.select_related("program").filter(pk=event_id).first()
    if event is None:
        raise NotFound(_("No such event."), code="unknown_event")
    if (event.starts_at and at < event.starts_at) or (event.ends_at and at >= event.ends_at):
        raise DomainError(_("This event is not open now."), code="event_closed")
    with transaction.atomic():
        # The account lock first: it serialises a customer's own concurrent
        # claims, so a repeat never holds a place it will give back.
        account = lock_account(program=event.program, customer_pk=customer_pk)
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
                key=f"event:{event.pk}:{customer_pk}",
                reason=event.name,
            )
        position = _take_place(event.pk)
        if position is None:
            raise SoldOut(_("Sorry, all places have been taken."))
        claim = Claim.objects.create(
            event=event, customer_id=customer_pk, position=position, entry=entry, at=at
        )
    return ClaimResult(claim, True)


def _take_place(event_pk: int) -> int | None:
    """Take the next place of the event; its number, or None when none is left."""
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    claimed = ops.quote_name("claimed")
    # Only quoted model metadata goes into the SQL text; the id is a parameter.
    sql = (
        f"UPDATE {table} SET {claimed} = {claimed} + 1 "  # noqa: S608
        f"WHERE {ops.quote_name('id')} = %s AND {claimed} < {ops.quote_name('capacity')} "
        f"RETURNING {claimed}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event_pk])
        row = cursor.fetchone()
    return row[0] if row is not None else None
