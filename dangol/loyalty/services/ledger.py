"""Writes to the point ledger: earn, redeem, adjust, reverse, expire.

Every change locks the account row (``SELECT … FOR UPDATE``; SQLite takes its
write lock at BEGIN), appends one immutable entry and stores the new balance
in the same transaction. An idempotency key that was used before returns the
first entry and changes nothing; the same key with different content is
refused with ``idempotency_conflict``.

The debt rule: a reversal takes back exactly what the reversed entry gave. If
some of it was already spent, the balance goes down to zero and the rest is
recorded as debt on the account; every later earning pays the debt first and
only the remainder becomes spendable points.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.loyalty import lots as fifo
from dangol.loyalty.models import Account, Entry, EntryKind, Lot, Program, Source
from dangol.loyalty.selectors import one_or_none
from dangol.loyalty.services.ledger_sql import (
    create_account_row,
    live_lots_page,
    lock_account_row,
    write_entry,
)


class InsufficientPoints(DomainError):
    status = 409
    code = "insufficient_points"


class IdempotencyConflict(DomainError):
    status = 409
    code = "idempotency_conflict"


@dataclass(frozen=True)
class Request:
    """What a caller asked for; a repeated key must ask for the same."""

    kind: str
    source: str
    source_ref: str
    amount: int
    reverses: int | None = None


# --- programs and accounts ---------------------------------------------------------


def default_program() -> Program:
    """The default program, created on first use."""
    program = Program.objects.filter(is_default=True).first()
    if program is not None:
        return program
    try:
        with transaction.atomic():
            return Program.objects.create(name=_("Membership points"), is_default=True)
    except IntegrityError:
        return Program.objects.get(is_default=True)


def lock_account(*, program: Program, customer_pk: int, key: str | None = None) -> Account:
    """Lock (creating if needed) the customer's account. Call inside a transaction.

    With ``key``, the same query also finds the entry an earlier request with
    that idempotency key wrote (``account.earlier_id``), saving a round trip.
    Raises NotFound (``unknown_customer``) for a customer that does not exist.
    """
    account = lock_account_row(program_id=program.pk, customer_pk=customer_pk, key=key)
    if account is not None:
        return account
    created = create_account_row(
        program_id=program.pk, customer_pk=customer_pk, now=timezone.now(), key=key
    )
    if created is not None:
        return created
    account = lock_account_row(program_id=program.pk, customer_pk=customer_pk, key=key)
    if account is None:
        raise NotFound(_("No such customer."), code="unknown_customer")
    return account


# --- idempotency -------------------------------------------------------------------


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise ValidationFailed([FieldProblem("idempotency_key", _("This field is required."))])
    if len(key) > 200:
        raise ValidationFailed([FieldProblem("idempotency_key", _("At most 200 characters."))])
    return key


def _repeat(
    program: Program,
    key: str,
    account_id: int | None,
    request: Request,
    entry_id: int | None = None,
) -> Entry | None:
    """The entry an earlier request with ``key`` wrote, if it asked for the same."""
    if account_id is not None and entry_id is None:
        return None  # lock_account looked already: there is none
    found = (
        Entry.objects.filter(pk=entry_id)
        if entry_id is not None
        else Entry.objects.filter(program=program, idempotency_key=key)
    )
    entry = one_or_none(found)
    if entry is None:
        return None
    same = (
        entry.kind == request.kind
        and entry.source == request.source
        and entry.source_ref == request.source_ref
        and entry.amount == request.amount
        and entry.reverses_id == request.reverses
        and (account_id is None or entry.account_id == account_id)
    )
    if not same:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different request.")
        )
    return entry


def run_once(
    program: Program,
    key: str,
    customer_pk: int,
    request: Request,
    write: Callable[[Account], Entry],
) -> Entry:
    """Lock the account and call ``write`` unless ``key`` was already used.

    A concurrent request with the same key on another account loses at the
    unique constraint; it then returns the winner's entry (or a conflict).
    """
    try:
        with transaction.atomic():
            account = lock_account(program=program, customer_pk=customer_pk, key=key)
            earlier = _repeat(
                program, key, account.pk, request, getattr(account, "earlier_id", None)
            )
            if earlier is not None:
                return earlier
            return write(account)
    except IntegrityError:
        earlier = _repeat(program, key, None, request)
        if earlier is None:
            raise
        return earlier


# --- the building blocks (call while holding the account lock) ----------------------


def fifo_lots(
    account: Account, *, at: datetime, amount: int, include_pending: bool, batch: int = 4
) -> list[Lot]:
    """The account's unspent lots in FIFO order, only as far as ``amount`` needs.

    Lots whose expiry has come sort first, so every due lot is included. Reads
    a few lots first and twice as many each time more are needed: most
    redemptions are covered by the first lot or two.
    """
    lots: list[Lot] = []
    usable = 0
    while True:
        chunk = live_lots_page(account_id=account.pk, offset=len(lots), limit=batch)
        lots += chunk
        usable += sum(
            lot.remaining
            for lot in chunk
            if lot.expires_at > at and (include_pending or lot.available_at <= at)
        )
        if len(chunk) < batch or usable >= amount:
            return lots
        batch *= 2


def _states(lots: Iterable[Lot]) -> dict[int, tuple[Lot, fifo.LotState]]:
    return {
        lot.pk: (
            lot,
            fifo.LotState(lot.pk, lot.points, lot.remaining, lot.expires_at, lot.available_at),
        )
        for lot in lots
    }


def _changed_lots(states: dict[int, tuple[Lot, fifo.LotState]]) -> list[Lot]:
    """The lots whose remainder changed, with it set (written with the entry)."""
    changed = []
    for lot, state in states.values():
        if lot.remaining != state.remaining:
            lot.remaining = state.remaining
            changed.append(lot)
    return changed


def append_entry(
    account: Account,
    *,
    kind: str,
    source: str,
    points: int,
    at: datetime,
    actor: Actor,
    debt_delta: int = 0,
    amount: int = 0,
    key: str | None = None,
    source_ref: str = "",
    reason: str = "",
    expires_at: datetime | None = None,
    available_at: datetime | None = None,
    reverses: Entry | None = None,
    earned: int = 0,
    changed_lots: list[Lot] | None = None,
) -> Entry:
    """Write one entry and the account's new balance (and a lot for earned points).

    ``changed_lots`` (lots a redemption took from) are written in the same statement.
    """
    account.balance += points
    account.debt += debt_delta
    account.lifetime_earned += earned
    if earned > 0:
        assert expires_at is not None and available_at is not None
    entry = Entry(
        program_id=account.program_id,
        account=account,
        kind=kind,
        source=source,
        source_ref=source_ref,
        amount=amount,
        points=points,
        debt_delta=debt_delta,
        balance_after=account.balance,
        idempotency_key=key,
        expires_at=expires_at,
        available_at=available_at,
        reverses=reverses,
        reason=reason,
        staff=actor.user,
        actor_label=actor.display,
        at=at,
    )
    return write_entry(
        entry, lot_points=earned, now=timezone.now(), changed_lots=changed_lots or ()
    )


def expire_account(account: Account, lots: list[Lot], at: datetime, actor: Actor) -> Entry | None:
    """Expire the account's due lots among ``lots`` with one entry; None if nothing was due."""
    due = [lot for lot in lots if lot.remaining > 0 and lot.expires_at <= at]
    if not due:
        return None
    total = sum(lot.remaining for lot in due)
    for lot in due:
        lot.remaining = 0
    Lot.objects.bulk_update(due, ["remaining"])
    return append_entry(
        account,
        kind=EntryKind.EXPIRE,
        source=Source.SYSTEM,
        points=-total,
        amount=total,
        at=at,
        actor=actor,
    )


def earn_into(
    account: Account,
    *,
    program: Program,
    amount: int,
    source: str,
    at: datetime,
    actor: Actor,
    key: str | None,
    source_ref: str = "",
    reason: str = "",
    kind: str = EntryKind.EARN,
    expires_at: datetime | None = None,
    available_at: datetime | None = None,
    capped: int | None = None,
) -> Entry:
    """Add ``amount`` points (``capped`` of them after a daily cap): debt is paid first."""
    gross = amount if capped is None else capped
    paid = fifo.pay_debt(account.debt, gross)
    return append_entry(
        account,
        kind=kind,
        source=source,
        points=gross - paid,
        debt_delta=-paid,
        amount=amount,
        key=key,
        source_ref=source_ref,
        reason=reason,
        at=at,
        actor=actor,
        expires_at=expires_at or at + timedelta(days=program.expiry_days),
        available_at=available_at or at,
        earned=gross,
    )


def take_from(
    account: Account,
    *,
    amount: int,
    at: datetime,
    include_pending: bool,
    actor: Actor,
    kind: str,
    source: str,
    key: str | None,
    source_ref: str = "",
    reason: str = "",
    recorded: int | None = None,
) -> Entry:
    """Take ``amount`` points FIFO by expiry; expired points are expired first, never spent.

    Raises InsufficientPoints (nothing changed) when there are not enough.
    """
    lots = fifo_lots(account, at=at, amount=amount, include_pending=include_pending)
    expire_account(account, lots, at, actor)
    states = _states(lots)
    _taken, short = fifo.consume(
        [state for _lot, state in states.values()], amount, at, include_pending=include_pending
    )
    if short:
        spendable = amount - short
        raise InsufficientPoints(
            _("Only %(spendable)s points can be used; %(asked)s were asked for.")
            % {"spendable": spendable, "asked": amount}
        )
    return append_entry(
        account,
        kind=kind,
        source=source,
        points=-amount,
        amount=amount if recorded is None else recorded,
        key=key,
        source_ref=source_ref,
        reason=reason,
        at=at,
        actor=actor,
        changed_lots=_changed_lots(states),
    )


def _positive(field: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationFailed([FieldProblem(field, _("Must be a whole number above zero."))])


# --- the services ------------------------------------------------------------------


def earn_points(
    *,
    actor: Actor,
    customer_pk: int,
    points: int,
    source: str,
    idempotency_key: str,
    source_ref: str = "",
    reason: str = "",
    at: datetime | None = None,
    available_at: datetime | None = None,
    program: Program | None = None,
) -> Entry:
    """Give a customer ``points`` (expiring after the program's expiry period).

    Locks the account. Debt is paid first. Raises ValidationFailed (points,
    source, idempotency_key), NotFound (``unknown_customer``), IdempotencyConflict.
    """
    require(actor, "loyalty.transact")
    _positive("points", points)
    if source not in Source.values:
        raise ValidationFailed([FieldProblem("source", _("Unknown source."))])
    key = _check_key(idempotency_key)
    program = program or default_program()
    at = at or timezone.now()
    request = Request(EntryKind.EARN, source, source_ref, points)

    def write(account: Account) -> Entry:
        return earn_into(
            account,
            program=program,
            amount=points,
            source=source,
            at=at,
            actor=actor,
            key=key,
            source_ref=source_ref,
            reason=reason,
            available_at=available_at,
            capped=capped_amount(account, program=program, amount=points, source=source, at=at),
        )

    return run_once(program, key, customer_pk, request, write)


def redeem_points(
    *,
    actor: Actor,
    customer_pk: int,
    points: int,
    idempotency_key: str,
    source: str = Source.REWARD,
    source_ref: str = "",
    at: datetime | None = None,
    program: Program | None = None,
) -> Entry:
    """Spend ``points``: the earliest-expiring spendable points go first.

    Locks the account. Raises InsufficientPoints, ValidationFailed, NotFound,
    IdempotencyConflict; nothing changes on error.
    """
    require(actor, "loyalty.transact")
    _positive("points", points)
    key = _check_key(idempotency_key)
    program = program or default_program()
    at = at or timezone.now()
    request = Request(EntryKind.REDEEM, source, source_ref, points)
    return run_once(
        program,
        key,
        customer_pk,
        request,
        lambda account: take_from(
            account,
            amount=points,
            at=at,
            include_pending=False,
            actor=actor,
            kind=EntryKind.REDEEM,
            source=source,
            key=key,
            source_ref=source_ref,
        ),
    )


def adjust_points(
    *,
    actor: Actor,
    customer_pk: int,
    points: int,
    reason: str,
    idempotency_key: str,
    at: datetime | None = None,
    program: Program | None = None,
) -> Entry:
    """A manual correction by a staff member, with a reason; positive or negative.

    A negative adjustment may take pending points too but never more than the
    balance. Locks the account; writes an audit row. Raises ValidationFailed,
    InsufficientPoints, NotFound, IdempotencyConflict.
    """
    require(actor, "loyalty.manage")
    problems = []
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        problems.append(FieldProblem("points", _("Must be a whole number other than zero.")))
    reason = (reason or "").strip()
    if not reason:
        problems.append(FieldProblem("reason", _("Say why the points are adjusted.")))
    if problems:
        raise ValidationFailed(problems)
    key = _check_key(idempotency_key)
    program = program or default_program()
    at = at or timezone.now()
    request = Request(EntryKind.ADJUST, Source.MANUAL, "", points)

    def write(account: Account) -> Entry:
        if points > 0:
            entry = earn_into(
                account,
                program=program,
                amount=points,
                source=Source.MANUAL,
                at=at,
                actor=actor,
                key=key,
                reason=reason,
                kind=EntryKind.ADJUST,
            )
        else:
            entry = take_from(
                account,
                amount=-points,
                at=at,
                include_pending=True,
                actor=actor,
                kind=EntryKind.ADJUST,
                source=Source.MANUAL,
                key=key,
                reason=reason,
                recorded=points,
            )
        record_audit(actor=actor, action="adjust_points", obj=entry, fields=["points"])
        return entry

    # A manual entry's amount is signed so +n and -n under one key differ.
    return run_once(program, key, customer_pk, request, write)


def capped_amount(
    account: Account, *, program: Program, amount: int, source: str, at: datetime
) -> int | None:
    """Points allowed under the program's daily cap, or None when there is no cap.

    The cap counts the points earned (before debt) from orders and actions in
    the business day of ``at``, leaving out earnings reversed since (a refund
    frees its share of the day's cap); manual adjustments are not capped.
    """
    if program.daily_earn_cap is None or source in {Source.MANUAL, Source.SYSTEM}:
        return None
    start = timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
    earned = sum(
        Lot.objects.filter(
            account=account,
            entry__kind=EntryKind.EARN,
            entry__at__gte=start,
            entry__at__lt=start + timedelta(days=1),
            entry__reversals__isnull=True,
        ).values_list("points", flat=True)
    )
    return max(0, min(amount, program.daily_earn_cap - earned))


def reverse_entry(
    *,
    actor: Actor,
    entry_id: int,
    idempotency_key: str,
    reason: str = "",
    at: datetime | None = None,
) -> Entry:
    """Undo one entry (an earning, a redemption or an adjustment) as if it never happened.

    Recomputes the account from its ledger without the entry (and without
    earlier reversed ones); the new reversal entry carries the difference.
    Taking back more than the balance leaves the rest as debt. Locks the
    account. Raises NotFound, DomainError (``not_reversible``,
    ``already_reversed``), IdempotencyConflict.
    """
    require(actor, "loyalty.transact")
    key = _check_key(idempotency_key)
    target = Entry.objects.select_related("program").filter(pk=entry_id).first()
    if target is None:
        raise NotFound(_("No such ledger entry."), code="unknown_entry")
    program = target.program
    request = Request(
        EntryKind.REVERSE, target.source, target.source_ref, target.amount, reverses=target.pk
    )
    at = at or timezone.now()
    customer_pk = Account.objects.values_list("customer_id", flat=True).get(pk=target.account_id)

    def write(account: Account) -> Entry:
        if target.kind in {EntryKind.EXPIRE, EntryKind.REVERSE}:
            raise DomainError(_("This entry cannot be reversed."), code="not_reversible")
        if Entry.objects.filter(reverses=target).exists():
            raise DomainError(_("This entry was already reversed."), code="already_reversed")
        return reverse_locked(account, target=target, at=at, actor=actor, key=key, reason=reason)

    return run_once(program, key, customer_pk, request, write)


def reverse_locked(
    account: Account,
    *,
    target: Entry,
    at: datetime,
    actor: Actor,
    key: str | None,
    reason: str = "",
) -> Entry:
    """Write the reversal of ``target``; call while holding the account lock."""
    lots = list(Lot.objects.filter(account=account))
    expire_account(account, lots, at, actor)
    entries = list(Entry.objects.filter(account=account).order_by("id"))
    ledger = fifo.replay(ledger_ops(entries, also_skip={target.pk}), until=at)
    changed = []
    for lot in lots:
        state = ledger.lots.get(lot.entry_id)
        remaining = state.remaining if state is not None else 0
        if lot.remaining != remaining:
            lot.remaining = remaining
            changed.append(lot)
    if changed:
        Lot.objects.bulk_update(changed, ["remaining"])
    return append_entry(
        account,
        kind=EntryKind.REVERSE,
        source=target.source,
        source_ref=target.source_ref,
        points=ledger.balance - account.balance,
        debt_delta=ledger.debt - account.debt,
        amount=target.amount,
        key=key,
        reason=reason,
        at=at,
        actor=actor,
        reverses=target,
    )


def ledger_ops(entries: list[Entry], *, also_skip: Iterable[int] = ()) -> list[fifo.Op]:
    """The ledger as ``replay`` operations, leaving out reversed entries."""
    skipped = {e.reverses_id for e in entries if e.reverses_id is not None} | set(also_skip)
    ops = []
    for entry in entries:
        gross = entry.points - entry.debt_delta
        if entry.pk in skipped or entry.kind in {EntryKind.EXPIRE, EntryKind.REVERSE}:
            ops.append(fifo.Op("tick", entry.at))
        elif entry.kind in {EntryKind.EARN, EntryKind.ADJUST} and gross > 0:
            ops.append(
                fifo.Op("earn", entry.at, gross, entry.pk, entry.expires_at, entry.available_at)
            )
        elif entry.kind == EntryKind.REDEEM:
            ops.append(fifo.Op("spend", entry.at, -entry.points))
        elif entry.kind == EntryKind.ADJUST and entry.points < 0:
            ops.append(fifo.Op("take", entry.at, -entry.points))
        else:
            ops.append(fifo.Op("tick", entry.at))
    return ops


def expire_points(
    *, at: datetime | None = None, batch_size: int = 500, actor: Actor | None = None
) -> int:
    """Expire every lot whose time has come; returns the number of accounts touched.

    Works through the due accounts in batches, one transaction per batch,
    locking accounts in primary-key order (so two runs never deadlock). Safe
    to run twice: a second run finds nothing due.
    """
    at = at or timezone.now()
    actor = actor or SYSTEM
    touched = 0
    after = 0
    while True:
        ids = list(
            Lot.objects.filter(remaining__gt=0, expires_at__lte=at, account_id__gt=after)
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()[:batch_size]
        )
        if not ids:
            return touched
        with transaction.atomic():
            accounts = list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
            due: dict[int, list[Lot]] = {}
            for lot in Lot.objects.filter(account_id__in=ids, remaining__gt=0, expires_at__lte=at):
                due.setdefault(lot.account_id, []).append(lot)
            for account in accounts:
                if expire_account(account, due.get(account.pk, []), at, actor) is not None:
                    touched += 1
        after = ids[-1]
