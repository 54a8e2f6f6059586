"""The arithmetic of point lots, without the database.

A lot is the points of one earning: how many are left, when they become
spendable and when they expire. The rules:

* Spending takes the earliest-expiring spendable points first (FIFO by expiry,
  then by age).
* Points whose expiry time has come are never spendable; expiring sets their
  lot's remainder to zero.
* Debt is points a reversal had to take back beyond the balance. Every later
  earning pays the debt first; only the rest becomes a spendable lot.

``replay`` folds a whole ledger through these rules; a reversal uses it to
compute the account as it would be had the reversed entries never happened.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class LotState:
    key: int
    points: int
    remaining: int
    expires_at: datetime
    available_at: datetime


@dataclass
class Op:
    """One ledger event for ``replay``.

    ``kind``: ``earn`` (adds lot ``key`` of ``amount`` points), ``spend`` (takes
    ``amount`` from spendable lots), ``take`` (takes ``amount`` from any unexpired
    lot, pending ones included), or ``tick`` (only expires what is due at ``at``).
    """

    kind: str
    at: datetime
    amount: int = 0
    key: int = 0
    expires_at: datetime | None = None
    available_at: datetime | None = None


@dataclass
class Ledger:
    lots: dict[int, LotState] = field(default_factory=dict)
    debt: int = 0

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots.values())


def expire_due(lots: Iterable[LotState], at: datetime) -> list[tuple[LotState, int]]:
    """Zero every lot whose expiry time has come; returns (lot, points expired)."""
    taken = []
    for lot in lots:
        if lot.remaining > 0 and lot.expires_at <= at:
            taken.append((lot, lot.remaining))
            lot.remaining = 0
    return taken


def fifo_order(lots: Iterable[LotState]) -> list[LotState]:
    return sorted(lots, key=lambda lot: (lot.expires_at, lot.key))


def consume(
    lots: Iterable[LotState], amount: int, at: datetime, *, include_pending: bool
) -> tuple[list[tuple[LotState, int]], int]:
    """Take up to ``amount`` from unexpired lots, earliest expiry first.

    Returns the (lot, points taken) pairs and the shortfall (0 if all was taken).
    """
    taken = []
    left = amount
    for lot in fifo_order(lots):
        if left == 0:
            break
        if lot.remaining <= 0 or lot.expires_at <= at:
            continue
        if not include_pending and lot.available_at > at:
            continue
        part = min(left, lot.remaining)
        lot.remaining -= part
        left -= part
        taken.append((lot, part))
    return taken, left


def pay_debt(debt: int, amount: int) -> int:
    """How much of an earning of ``amount`` goes to paying ``debt``."""
    return min(debt, amount)


def replay(ops: Iterable[Op], *, until: datetime) -> Ledger:
    """Fold ``ops`` (in ledger order) into lots and debt, as of ``until``.

    Spending more than there is becomes debt here (the past cannot be refused).
    """
    ledger = Ledger()
    for op in ops:
        expire_due(ledger.lots.values(), op.at)
        if op.kind == "earn":
            paid = pay_debt(ledger.debt, op.amount)
            ledger.debt -= paid
            assert op.expires_at is not None and op.available_at is not None
            ledger.lots[op.key] = LotState(
                op.key, op.amount, op.amount - paid, op.expires_at, op.available_at
            )
        elif op.kind in {"spend", "take"}:
            _, short = consume(
                ledger.lots.values(), op.amount, op.at, include_pending=op.kind == "take"
            )
            ledger.debt += short
    expire_due(ledger.lots.values(), until)
    return ledger
