"""Orders earn points through the customers app's order writes (API and import alike)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.customers.services.orders import bulk_upsert_orders
from dangol.loyalty.models import Account, EarnRule, Entry, EntryKind, Program
from dangol.loyalty.selectors import OrderForPoints
from dangol.loyalty.services import ledger
from dangol.loyalty.services.earning import apply_orders, order_points
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db
_TODAY = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0)
PLACED = _TODAY - timedelta(days=(_TODAY.weekday() - 5) % 7 + 7)  # a past Saturday (14:00 KST)


def program(**fields):
    program = ledger.default_program()
    program.starts_at = datetime(2020, 1, 1, tzinfo=UTC)
    for name, value in fields.items():
        setattr(program, name, value)
    program.save()
    return program


def order_row(external_id, customer, lines, status="placed", at=PLACED):
    return {
        "external_id": external_id,
        "customer_id": customer.external_id,
        "ordered_at": at.isoformat(),
        "status": status,
        "lines": [
            {"product_id": p.external_id, "unit_price": str(price), "quantity": q}
            for p, price, q in lines
        ],
    }


def write(rows, capture):
    with capture(execute=True):
        result = bulk_upsert_orders(actor=SYSTEM, rows=rows)
    assert not result.rejected, result.rejected


def test_points_round_down_once_per_order():
    prog = Program(earn_unit_amount=Decimal(1000), earn_points_per_unit=10)
    order = OrderForPoints(1, 1, PLACED, Decimal(1999), "KRW", "placed", [])
    assert order_points(program=prog, order=order, rules=[]) == 19


def test_multipliers_and_weekend_promotion_apply_to_written_orders(
    django_capture_on_commit_callbacks,
):
    prog = program()
    shoes = ProductFactory(category="신발")
    shirt = ProductFactory(category="의류")
    EarnRule.objects.create(
        program=prog, kind=EarnRule.Kind.CATEGORY, category="신발", multiplier=Decimal(3)
    )
    EarnRule.objects.create(
        program=prog, kind=EarnRule.Kind.PROMOTION, multiplier=Decimal(2), weekdays=[5, 6]
    )
    customer = CustomerFactory()
    write(
        [order_row("W1", customer, [(shoes, 10000, 1), (shirt, 5550, 1)])],
        django_capture_on_commit_callbacks,
    )
    # (10,000 × 3 + 5,550) ÷ 1,000 × 10 × 2 = 711 (710.999… never rounds up)
    account = Account.objects.get(customer=customer)
    assert account.balance == 711


def test_an_order_earns_once_and_a_refund_takes_the_points_back(django_capture_on_commit_callbacks):
    program()
    product = ProductFactory()
    customer = CustomerFactory()
    rows = [order_row("O1", customer, [(product, 20000, 1)])]
    write(rows, django_capture_on_commit_callbacks)
    write(rows, django_capture_on_commit_callbacks)
    account = Account.objects.get(customer=customer)
    assert account.balance == 200
    assert Entry.objects.filter(account=account).count() == 1
    ledger.redeem_points(actor=SYSTEM, customer_pk=customer.pk, points=150, idempotency_key="spend")
    write(
        [order_row("O1", customer, [(product, 20000, 1)], status="refunded")],
        django_capture_on_commit_callbacks,
    )
    account.refresh_from_db()
    assert (account.balance, account.debt) == (0, 150)
    assert Entry.objects.filter(account=account, kind=EntryKind.REVERSE).count() == 1
    # A second refund notice changes nothing.
    pks = list(account.customer.orders.values_list("pk", flat=True))
    assert apply_orders(order_pks=pks).reversed == 0


def test_bulk_orders_earn_in_one_pass_with_the_daily_cap_and_pending_period():
    prog = program(daily_earn_cap=500, pending_days=14)
    product = ProductFactory()
    customers = CustomerFactory.create_batch(3)
    rows = [
        order_row(f"B{c.pk}-{i}", c, [(product, 30000, 1)]) for c in customers for i in range(3)
    ]
    bulk_upsert_orders(actor=SYSTEM, rows=rows)  # receivers' tasks are not run here
    from dangol.customers.models import Order

    pks = list(Order.objects.values_list("pk", flat=True))
    now = PLACED + timedelta(hours=1)
    result = apply_orders(order_pks=pks, at=now)
    assert result.earned == 9
    for account in Account.objects.filter(program=prog):
        assert account.balance == 500  # 300 + 200 of the second order + 0 of the third
        lot = account.lots.order_by("id").first()
        assert lot.available_at == PLACED + timedelta(days=14)
    assert apply_orders(order_pks=pks, at=now).earned == 0


def test_a_referral_pays_the_referrer_when_the_newcomer_orders(
    loyalty_api, django_capture_on_commit_callbacks
):
    program(referral_points=2000)
    product = ProductFactory()
    friend, newcomer = CustomerFactory.create_batch(2)
    body = {"referrer_id": friend.external_id, "referred_id": newcomer.external_id}
    post = loyalty_api.post
    assert post("/api/loyalty/referrals", body, content_type="application/json").status_code == 201
    other = post(
        "/api/loyalty/referrals",
        {"referrer_id": CustomerFactory().external_id, "referred_id": newcomer.external_id},
        content_type="application/json",
    )
    assert (other.status_code, other.json()["code"]) == (400, "already_referred")
    write([order_row("R1", newcomer, [(product, 10000, 1)])], django_capture_on_commit_callbacks)
    write([order_row("R2", newcomer, [(product, 10000, 1)])], django_capture_on_commit_callbacks)
    assert Account.objects.get(customer=friend).balance == 2000
    assert Account.objects.get(customer=newcomer).balance == 200


def test_a_customer_whose_points_were_reversed_can_still_be_deleted(
    django_capture_on_commit_callbacks,
):
    """Deleting a customer (e.g. on a personal-data request) takes their whole ledger,
    reversals included; an entry another one reverses is still never deleted alone."""
    from django.db import IntegrityError, connection, transaction

    from dangol.customers.services.customers import delete_customer
    from tests.factories import CustomerFactory as Customers

    program()
    product = ProductFactory()
    customer = CustomerFactory()
    write([order_row("D1", customer, [(product, 20000, 1)])], django_capture_on_commit_callbacks)
    write(
        [order_row("D1", customer, [(product, 20000, 1)], status="refunded")],
        django_capture_on_commit_callbacks,
    )
    account = Account.objects.get(customer=customer)
    earned = Entry.objects.get(account=account, kind=EntryKind.EARN)
    assert Entry.objects.filter(reverses=earned).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=earned.pk).delete()
        connection.check_constraints(table_names=["loyalty_entry"])
    other = Customers()
    write([order_row("D2", other, [(product, 10000, 1)])], django_capture_on_commit_callbacks)

    delete_customer(actor=SYSTEM, external_id=customer.external_id)

    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Entry.objects.filter(account_id=account.pk).exists()
    assert Entry.objects.filter(account__customer=other).count() == 1
