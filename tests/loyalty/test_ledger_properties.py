"""The ledger under random sequences of earn, redeem, adjust, expire, reverse and repeat.

A reference model counts single points (not lots) and replays the whole
history from scratch, leaving out every reversed request: after every step the
account must equal that model exactly, so a reversal returns the account to
where it would be had the reversed request never happened.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from dangol.accounts.actors import SYSTEM
from dangol.loyalty import selectors
from dangol.loyalty.models import Account, Entry, Lot, Source
from dangol.loyalty.services import ledger
from tests.factories import CustomerFactory

BASE = datetime(2030, 1, 1, 3, 0, tzinfo=UTC)


@dataclass
class Op:
    kind: str  # earn, adjust, redeem, take, tick
    day: int
    amount: int = 0
    seq: int = 0
    expires: int = 0
    available: int = 0
    entry_id: int = 0


@dataclass
class Model:
    """Points as single units (expiry day, grant sequence, spendable day).

    Sorting units gives the FIFO order: an earlier expiry first, and within a
    day the earlier grant (a later request is minutes later, and so expires later).
    """

    ops: list[Op] = field(default_factory=list)
    reversed_ids: set[int] = field(default_factory=set)

    def state(self, day: int) -> tuple[list[tuple[int, int, int]], int]:
        units: list[tuple[int, int, int]] = []
        debt = 0
        for op in [*self.ops, Op("tick", day)]:
            units = [u for u in units if u[0] > op.day]
            if op.entry_id in self.reversed_ids or op.kind == "tick":
                continue
            if op.kind in {"earn", "adjust"}:
                paid = min(debt, op.amount)
                debt -= paid
                units += [(op.expires, op.seq, op.available)] * (op.amount - paid)
            else:
                usable = sorted(u for u in units if op.kind == "take" or u[2] <= op.day)
                taken = usable[: op.amount]
                debt += op.amount - len(taken)
                for unit in taken:
                    units.remove(unit)
        return units, debt


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.day = 0
        self.seq = 0
        self.calls: list[tuple[str, dict[str, object], int]] = []
        self.reversible: list[int] = []

    @initialize()
    def open_account(self) -> None:
        self.customer = CustomerFactory()
        self.program = ledger.default_program()
        Account.objects.create(program=self.program, customer=self.customer)

    @property
    def now(self) -> datetime:
        return BASE + timedelta(days=self.day, minutes=self.seq)

    def _key(self) -> str:
        self.seq += 1
        return f"sm-{self.customer.pk}-{self.seq}"

    def _units(self) -> tuple[list[tuple[int, int, int]], int]:
        return self.model.state(self.day)

    def _balance(self) -> tuple[int, int]:
        account = Account.objects.get(program=self.program, customer=self.customer)
        return account.balance, account.debt

    @rule(points=st.integers(1, 40), expiry=st.integers(1, 20), pending=st.integers(0, 3))
    def earn(self, points: int, expiry: int, pending: int) -> None:
        key = self._key()
        self.program.expiry_days = expiry
        kwargs = {
            "customer_pk": self.customer.pk,
            "points": points,
            "source": Source.ORDER,
            "source_ref": key,
            "idempotency_key": key,
            "at": self.now,
            "available_at": self.now + timedelta(days=pending),
            "program": self.program,
        }
        entry = ledger.earn_points(actor=SYSTEM, **kwargs)
        self.model.ops.append(
            Op("earn", self.day, points, entry.pk, self.day + expiry, self.day + pending, entry.pk)
        )
        self.calls.append(("earn", kwargs, entry.pk))
        self.reversible.append(entry.pk)

    @rule(points=st.integers(1, 60))
    def redeem(self, points: int) -> None:
        units, _ = self._units()
        spendable = sum(1 for u in units if u[2] <= self.day)
        before = self._balance()
        key = self._key()
        kwargs = {
            "customer_pk": self.customer.pk,
            "points": points,
            "idempotency_key": key,
            "at": self.now,
            "program": self.program,
        }
        if points > spendable:
            with pytest.raises(ledger.InsufficientPoints):
                ledger.redeem_points(actor=SYSTEM, **kwargs)
            # Refused: nothing changed, not even the expiry it would have written first.
            assert self._balance() == before
            return
        entry = ledger.redeem_points(actor=SYSTEM, **kwargs)
        self.model.ops.append(Op("redeem", self.day, points, entry_id=entry.pk))
        self.calls.append(("redeem", kwargs, entry.pk))
        self.reversible.append(entry.pk)

    @rule(points=st.integers(-30, 30).filter(bool))
    def adjust(self, points: int) -> None:
        units, _ = self._units()
        key = self._key()
        kwargs = {
            "customer_pk": self.customer.pk,
            "points": points,
            "reason": "test",
            "idempotency_key": key,
            "at": self.now,
            "program": self.program,
        }
        if points < 0 and -points > len(units):
            with pytest.raises(ledger.InsufficientPoints):
                ledger.adjust_points(actor=SYSTEM, **kwargs)
            return
        self.program.expiry_days = 10
        entry = ledger.adjust_points(actor=SYSTEM, **kwargs)
        if points > 0:
            self.model.ops.append(
                Op("adjust", self.day, points, entry.pk, self.day + 10, self.day, entry.pk)
            )
        else:
            self.model.ops.append(Op("take", self.day, -points, entry_id=entry.pk))

    @rule(days=st.integers(0, 8))
    def advance(self, days: int) -> None:
        self.day += days

    @rule()
    def run_expiry_job(self) -> None:
        ledger.expire_points(at=self.now)
        self.model.ops.append(Op("tick", self.day))

    @precondition(lambda self: self.reversible)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        entry_id = data.draw(st.sampled_from(self.reversible))
        self.reversible.remove(entry_id)
        key = self._key()
        ledger.reverse_entry(actor=SYSTEM, entry_id=entry_id, idempotency_key=key, at=self.now)
        self.model.reversed_ids.add(entry_id)
        self.model.ops.append(Op("tick", self.day))

    @precondition(lambda self: self.calls)
    @rule(data=st.data())
    def repeat(self, data: st.DataObject) -> None:
        kind, kwargs, entry_id = data.draw(st.sampled_from(self.calls))
        before = (self._balance(), Entry.objects.filter(account__customer=self.customer).count())
        service = ledger.earn_points if kind == "earn" else ledger.redeem_points
        again = service(actor=SYSTEM, **{**kwargs, "at": self.now})
        assert again.pk == entry_id
        assert before == (
            self._balance(),
            Entry.objects.filter(account__customer=self.customer).count(),
        )

    @invariant()
    def balance_is_the_sum_of_the_ledger(self) -> None:
        if not hasattr(self, "customer"):
            return
        account = Account.objects.filter(program=self.program, customer=self.customer).first()
        if account is None:
            return
        sums = Entry.objects.filter(account=account).aggregate(p=Sum("points"), d=Sum("debt_delta"))
        assert account.balance == (sums["p"] or 0) >= 0
        assert account.debt == (sums["d"] or 0) >= 0
        lots = Lot.objects.filter(account=account).aggregate(r=Sum("remaining"))
        assert account.balance == (lots["r"] or 0)

    @invariant()
    def account_equals_the_model(self) -> None:
        if not hasattr(self, "customer"):
            return
        account = selectors.find_account(customer_pk=self.customer.pk, program=self.program)
        summary = selectors.balance_summary(account=account, at=self.now)
        units, debt = self._units()
        assert summary.balance == len(units)
        assert summary.spendable == sum(1 for u in units if u[2] <= self.day)
        assert summary.debt == debt


@pytest.mark.django_db
def test_ledger_state_machine() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
