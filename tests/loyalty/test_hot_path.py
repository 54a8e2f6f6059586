"""The hot path's round trips: earn, redeem and claim each write in as few statements as
the database allows (PostgreSQL: the entry, its lot, spent lots and the balance in one)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangol.accounts.actors import SYSTEM
from dangol.loyalty.models import Account, Claim, Entry, Lot, Source
from dangol.loyalty.services import events, ledger
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

# (earn, redeem, claim by a member, claim by a newcomer without an account)
# statements, BEGIN and COMMIT included.
EXPECTED = {"postgresql": (4, 5, 6, 7), "sqlite": (6, 7, 9, 11)}


def statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_earn_redeem_and_claim_statements_and_what_they_wrote():
    program = ledger.default_program()
    customer = CustomerFactory()
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=100,
        source=Source.MANUAL,
        idempotency_key="seed-1",
        program=program,
    )
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=100,
        source=Source.MANUAL,
        idempotency_key="seed-2",
        program=program,
    )
    event = events.create_event(actor=SYSTEM, name="선착순", capacity=1, points=7)
    other = events.create_event(actor=SYSTEM, name="두 번째", capacity=5, points=3)
    newcomer = CustomerFactory()

    counts = (
        statements(
            lambda: ledger.earn_points(
                actor=SYSTEM,
                customer_pk=customer.pk,
                points=10,
                source=Source.ORDER,
                idempotency_key="e",
                program=program,
            )
        ),
        # Takes from two lots: both are written with the entry.
        statements(
            lambda: ledger.redeem_points(
                actor=SYSTEM,
                customer_pk=customer.pk,
                points=150,
                idempotency_key="r",
                program=program,
            )
        ),
        statements(
            lambda: events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=customer.pk)
        ),
        statements(
            lambda: events.claim_event(actor=SYSTEM, event_id=other.pk, customer_pk=newcomer.pk)
        ),
    )
    if connection.vendor in EXPECTED:
        assert counts == EXPECTED[connection.vendor]
    assert Account.objects.get(customer=newcomer).balance == 3

    account = Account.objects.get(customer=customer)
    assert account.balance == 100 + 100 + 10 - 150 + 7 == account.lifetime_earned - 150
    assert sorted(Lot.objects.filter(account=account).values_list("remaining", flat=True)) == [
        0,
        7,
        10,
        50,
    ]
    assert sum(Entry.objects.filter(account=account).values_list("points", flat=True)) == 67
    claim = Claim.objects.get(event=event)
    assert (claim.position, claim.entry.points) == (1, 7)
    # A repeat claim returns the first; another customer finds the event sold out.
    assert not events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=customer.pk).created
    late = CustomerFactory()
    with pytest.raises(events.SoldOut):
        events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=late.pk)
    assert Claim.objects.filter(event=event).count() == 1
    assert not Entry.objects.filter(account__customer=late).exists()
