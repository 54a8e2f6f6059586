"""The ledger's rules, one at a time: FIFO, expiry, debt, idempotency, constraints."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from dangol.accounts.actors import SYSTEM
from dangol.core.errors import NotFound, ValidationFailed
from dangol.loyalty import selectors
from dangol.loyalty.models import Account, Entry, EntryKind, ImmutableEntryError, Lot, Source
from dangol.loyalty.services import ledger
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2030, 3, 1, 3, 0, tzinfo=UTC)


def earn(customer, points, key, *, at=T0, days=365, pending=0):
    program = ledger.default_program()
    program.expiry_days = days
    return ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=points,
        source=Source.ORDER,
        source_ref=key,
        idempotency_key=key,
        at=at,
        available_at=at + timedelta(days=pending),
        program=program,
    )


def account_of(customer):
    return Account.objects.get(customer=customer)


def test_redemption_takes_the_earliest_expiring_points_first():
    customer = CustomerFactory()
    late = earn(customer, 100, "late", days=300)
    early = earn(customer, 100, "early", days=30)
    ledger.redeem_points(
        actor=SYSTEM, customer_pk=customer.pk, points=120, idempotency_key="r1", at=T0
    )
    assert Lot.objects.get(entry=early).remaining == 0
    assert Lot.objects.get(entry=late).remaining == 80
    assert account_of(customer).balance == 80


def test_expired_points_cannot_be_spent_and_are_expired_by_the_attempt():
    customer = CustomerFactory()
    earn(customer, 100, "e1", days=10)
    with pytest.raises(ledger.InsufficientPoints):
        ledger.redeem_points(
            actor=SYSTEM,
            customer_pk=customer.pk,
            points=1,
            idempotency_key="r1",
            at=T0 + timedelta(days=10),
        )
    # The refused request changed nothing; the daily job then expires the points.
    assert account_of(customer).balance == 100
    assert ledger.expire_points(at=T0 + timedelta(days=10)) == 1
    assert ledger.expire_points(at=T0 + timedelta(days=10)) == 0
    account = account_of(customer)
    assert account.balance == 0
    assert account.entries.last().kind == EntryKind.EXPIRE


def test_pending_points_count_in_the_balance_but_cannot_be_spent_yet():
    customer = CustomerFactory()
    earn(customer, 50, "e1", pending=7)
    summary = selectors.balance_summary(account=account_of(customer), at=T0)
    assert (summary.balance, summary.spendable, summary.pending) == (50, 0, 50)
    with pytest.raises(ledger.InsufficientPoints):
        ledger.redeem_points(
            actor=SYSTEM,
            customer_pk=customer.pk,
            points=10,
            idempotency_key="r1",
            at=T0 + timedelta(days=6),
        )
    ledger.redeem_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=10,
        idempotency_key="r1",
        at=T0 + timedelta(days=7),
    )
    assert account_of(customer).balance == 40


def test_reversal_of_spent_points_leaves_debt_that_the_next_earning_pays_first():
    customer = CustomerFactory()
    order = earn(customer, 100, "order-1")
    ledger.redeem_points(
        actor=SYSTEM, customer_pk=customer.pk, points=70, idempotency_key="r1", at=T0
    )
    reversal = ledger.reverse_entry(actor=SYSTEM, entry_id=order.pk, idempotency_key="rev1", at=T0)
    assert (reversal.points, reversal.debt_delta) == (-30, 70)
    account = account_of(customer)
    assert (account.balance, account.debt) == (0, 70)
    later = earn(customer, 100, "order-2")
    assert (later.points, later.debt_delta) == (30, -70)
    account = account_of(customer)
    assert (account.balance, account.debt) == (30, 0)


def test_reversing_a_redemption_gives_the_points_back():
    customer = CustomerFactory()
    earn(customer, 100, "e1")
    spent = ledger.redeem_points(
        actor=SYSTEM, customer_pk=customer.pk, points=40, idempotency_key="r1", at=T0
    )
    ledger.reverse_entry(actor=SYSTEM, entry_id=spent.pk, idempotency_key="rev", at=T0)
    assert account_of(customer).balance == 100
    with pytest.raises(Exception) as caught:
        ledger.reverse_entry(actor=SYSTEM, entry_id=spent.pk, idempotency_key="rev2", at=T0)
    assert caught.value.code == "already_reversed"


def test_a_repeated_key_returns_the_first_entry_and_a_changed_request_is_refused():
    customer = CustomerFactory()
    first = earn(customer, 100, "k1")
    assert earn(customer, 100, "k1").pk == first.pk
    assert account_of(customer).balance == 100
    with pytest.raises(ledger.IdempotencyConflict):
        earn(customer, 999, "k1")
    with pytest.raises(ledger.IdempotencyConflict):
        ledger.redeem_points(
            actor=SYSTEM, customer_pk=customer.pk, points=5, idempotency_key="k1", at=T0
        )
    assert Entry.objects.filter(account__customer=customer).count() == 1
    # The same key and content for a customer without an account yet is refused too.
    newcomer = CustomerFactory()
    with pytest.raises(ledger.IdempotencyConflict):
        earn(newcomer, 100, "k1")
    assert not Entry.objects.filter(account__customer=newcomer).exists()


def test_bad_requests_name_the_field_and_change_nothing():
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as caught:
        ledger.redeem_points(
            actor=SYSTEM, customer_pk=customer.pk, points=-5, idempotency_key="x", at=T0
        )
    assert caught.value.problems[0].field == "points"
    with pytest.raises(ValidationFailed) as caught:
        ledger.adjust_points(
            actor=SYSTEM, customer_pk=customer.pk, points=5, reason=" ", idempotency_key="x", at=T0
        )
    assert caught.value.problems[0].field == "reason"
    with pytest.raises(NotFound) as missing:
        earn(type(customer)(pk=10**9), 5, "ghost")
    assert missing.value.code == "unknown_customer"
    assert not Entry.objects.exists()


def test_the_database_refuses_a_negative_balance_and_a_repeated_key():
    customer = CustomerFactory()
    entry = earn(customer, 10, "k1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(customer=customer).update(balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            program_id=entry.program_id,
            account_id=entry.account_id,
            kind=EntryKind.EARN,
            source=Source.ORDER,
            points=1,
            balance_after=11,
            idempotency_key="k1",
        )
    with pytest.raises(ImmutableEntryError):
        entry.points = 1000
        entry.save()
