"""The ledger and first-come events under real concurrent connections.

Threads each use their own database connection and commit for real. On
SQLite every write transaction is serialised by the database lock, so these
checks only mean something on PostgreSQL (CI runs them there).
"""

import random
import threading

import pytest
from django.db.models import Count, Sum

from dangol.accounts.actors import SYSTEM
from dangol.core.errors import DomainError
from dangol.loyalty.models import Account, Claim, Entry, Event, Lot, Source
from dangol.loyalty.services import events, ledger
from tests.conftest import is_postgres, unavailable
from tests.factories import CustomerFactory
from tests.fixtures_threads import errors_of, run_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if not is_postgres():
        unavailable("concurrency checks need PostgreSQL", required_by="DANGOL_REQUIRE_POSTGRES")


def test_concurrent_earn_and_redeem_on_shared_accounts_keep_every_balance_exact():
    program = ledger.default_program()
    customers = [c.pk for c in CustomerFactory.create_batch(4)]
    for pk in customers:
        ledger.earn_points(
            actor=SYSTEM,
            customer_pk=pk,
            points=100,
            source=Source.ORDER,
            idempotency_key=f"seed-{pk}",
            program=program,
        )
    done: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(index)
        for step in range(25):
            pk = rng.choice(customers)
            # Every other thread repeats its neighbour's keys: each must land once.
            key = f"t{index // 2}-{step}"
            try:
                if rng.random() < 0.5:
                    ledger.earn_points(
                        actor=SYSTEM,
                        customer_pk=customers[step % 4],
                        points=10,
                        source=Source.ORDER,
                        idempotency_key=key,
                    )
                else:
                    ledger.redeem_points(
                        actor=SYSTEM, customer_pk=pk, points=35, idempotency_key=key
                    )
            except DomainError as exc:
                assert exc.code in {"insufficient_points", "idempotency_conflict"}, exc.code
                continue
            with lock:
                done.append(key)

    assert errors_of(run_threads(12, work)) == []
    keys = (
        Entry.objects.exclude(idempotency_key__startswith="seed")
        .exclude(idempotency_key=None)
        .values("idempotency_key")
        .annotate(n=Count("id"))
    )
    assert {k["idempotency_key"] for k in keys} == set(done)
    assert all(k["n"] == 1 for k in keys)
    for account in Account.objects.all():
        entries = Entry.objects.filter(account=account).aggregate(s=Sum("points"))["s"]
        lots = Lot.objects.filter(account=account).aggregate(s=Sum("remaining"))["s"]
        assert account.balance == entries == lots >= 0


def test_thousands_of_claims_make_exactly_capacity_winners():
    event = events.create_event(actor=SYSTEM, name="선착순", capacity=7, points=10)
    customers = [c.pk for c in CustomerFactory.create_batch(30)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for pk in customers[index::3] + customers[index::5]:
            try:
                result = events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=pk)
                outcome = "won" if result.created else "repeat"
            except events.SoldOut:
                outcome = "sold_out"
            with lock:
                outcomes.append(outcome)

    assert errors_of(run_threads(10, work)) == []
    event.refresh_from_db()
    claims = Claim.objects.filter(event=event)
    assert event.claimed == claims.count() == outcomes.count("won") == 7
    assert sorted(claims.values_list("position", flat=True)) == list(range(1, 8))
    assert claims.values("customer").distinct().count() == 7
    assert Entry.objects.filter(source=Source.EVENT).count() == 7
    assert Event.objects.get(pk=event.pk).claimed == 7


def test_a_coupon_budget_is_never_overspent_by_concurrent_checkouts():
    from decimal import Decimal

    from dangol.loyalty.models import CouponCampaign, CouponUse
    from dangol.loyalty.services import coupons

    campaign = CouponCampaign.objects.create(
        program=ledger.default_program(),
        name="선착순 쿠폰",
        kind="fixed",
        value=Decimal(1000),
        multi_use=True,
        member_only=False,
        budget_uses=5,
    )
    coupon = coupons.issue_coupon(actor=SYSTEM, campaign=campaign)
    refused: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for step in range(4):
            try:
                coupons.reserve_coupon(
                    actor=SYSTEM,
                    code=coupon.code,
                    customer_pk=None,
                    order_amount=Decimal(20000),
                    currency="KRW",
                    order_ref=f"{index}-{step}",
                    idempotency_key=f"chk-{index}-{step}",
                )
            except coupons.CouponRefused as exc:
                with lock:
                    refused.append(exc.code)

    assert errors_of(run_threads(8, work)) == []
    campaign.refresh_from_db()
    assert CouponUse.objects.filter(coupon=coupon).count() == campaign.used_count == 5
    assert campaign.used_amount == Decimal(5000)
    assert refused == ["budget_exhausted"] * 27
