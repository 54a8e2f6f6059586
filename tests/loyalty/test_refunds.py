"""Refunds undo everything an order brought: the referrer's reward and the day's cap share."""

from datetime import timedelta

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.customers.models import Order
from dangol.customers.services.orders import bulk_upsert_orders
from dangol.loyalty.models import Account, Entry, EntryKind, Referral, Source
from dangol.loyalty.services import ledger, referrals
from dangol.loyalty.services.earning import apply_orders
from tests.factories import CustomerFactory, ProductFactory
from tests.loyalty.test_orders import PLACED, order_row, program, write

pytestmark = pytest.mark.django_db


def referred_pair():
    friend, newcomer = CustomerFactory.create_batch(2)
    referrals.record_referral(actor=SYSTEM, referrer_pk=friend.pk, referred_pk=newcomer.pk)
    return friend, newcomer


def account_of(customer):
    return Account.objects.get(customer=customer)


def test_a_refunded_first_order_takes_the_referral_reward_back_as_debt_when_spent(
    django_capture_on_commit_callbacks,
):
    program(referral_points=2000)
    product = ProductFactory()
    friend, newcomer = referred_pair()
    write([order_row("R1", newcomer, [(product, 10000, 1)])], django_capture_on_commit_callbacks)
    assert account_of(friend).balance == 2000
    ledger.redeem_points(actor=SYSTEM, customer_pk=friend.pk, points=1500, idempotency_key="s1")

    refunded = [order_row("R1", newcomer, [(product, 10000, 1)], status="refunded")]
    write(refunded, django_capture_on_commit_callbacks)
    friend_account = account_of(friend)
    assert (friend_account.balance, friend_account.debt) == (0, 1500)
    reversal = Entry.objects.get(account=friend_account, kind=EntryKind.REVERSE)
    assert reversal.source == Source.REFERRAL
    assert reversal.reverses.source == Source.REFERRAL
    assert Referral.objects.get().entry is None
    # The newcomer's own points went back too.
    assert account_of(newcomer).balance == 0

    # A second refund notice changes nothing.
    write(refunded, django_capture_on_commit_callbacks)
    assert Entry.objects.filter(account=friend_account).count() == 3

    # The newcomer's next order qualifies: the new reward pays the debt first.
    write([order_row("R2", newcomer, [(product, 10000, 1)])], django_capture_on_commit_callbacks)
    friend_account.refresh_from_db()
    assert (friend_account.balance, friend_account.debt) == (500, 0)
    referral = Referral.objects.get()
    assert referral.order.external_id == "R2"
    assert referral.entry.points == 500 and referral.entry.debt_delta == -1500


def test_the_reward_moves_to_the_next_placed_order_and_waits_out_the_pending_period():
    program(referral_points=1000, pending_days=14)
    product = ProductFactory()
    friend, newcomer = referred_pair()
    rows = [
        order_row("F1", newcomer, [(product, 10000, 1)]),
        order_row("F2", newcomer, [(product, 10000, 1)], at=PLACED + timedelta(hours=2)),
    ]
    bulk_upsert_orders(actor=SYSTEM, rows=rows)  # the receivers' tasks are not run here
    pks = list(Order.objects.order_by("pk").values_list("pk", flat=True))
    now = PLACED + timedelta(hours=3)
    apply_orders(order_pks=pks, at=now)
    first = Referral.objects.get()
    assert first.order.external_id == "F1"
    assert first.entry.available_at == PLACED + timedelta(days=14)
    # Pending referral points cannot be spent.
    with pytest.raises(ledger.InsufficientPoints):
        ledger.redeem_points(actor=SYSTEM, customer_pk=friend.pk, points=1, idempotency_key="x")

    Order.objects.filter(external_id="F1").update(status="refunded")
    apply_orders(order_pks=pks, at=now)
    referral = Referral.objects.get()
    assert referral.order.external_id == "F2"
    account = account_of(friend)
    assert (account.balance, account.debt) == (1000, 0)
    kinds = list(Entry.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds == [EntryKind.EARN, EntryKind.REVERSE, EntryKind.EARN]

    # Both orders refunded: nothing is left with the referrer, and a rerun changes nothing.
    Order.objects.filter(external_id="F2").update(status="cancelled")
    apply_orders(order_pks=pks, at=now)
    apply_orders(order_pks=pks, at=now)
    account.refresh_from_db()
    assert (account.balance, account.debt) == (0, 0)
    assert Referral.objects.get().entry is None
    assert Entry.objects.filter(account=account).count() == 4


def test_a_refund_frees_its_share_of_the_daily_cap_for_later_orders_that_day():
    program(daily_earn_cap=500)
    product = ProductFactory()
    customer = CustomerFactory()
    # 300 points each (30,000 KRW at 10 points per 1,000).
    rows = [
        order_row(f"C{i}", customer, [(product, 30000, 1)], at=PLACED + timedelta(minutes=i))
        for i in range(3)
    ]
    bulk_upsert_orders(actor=SYSTEM, rows=rows)
    by_id = dict(Order.objects.values_list("external_id", "pk"))
    at = PLACED + timedelta(hours=1)
    apply_orders(order_pks=[by_id["C0"], by_id["C1"]], at=at)
    assert account_of(customer).balance == 500  # 300 + 200 (cut by the cap)

    Order.objects.filter(pk=by_id["C0"]).update(status="refunded")
    apply_orders(order_pks=[by_id["C0"]], at=at)
    assert account_of(customer).balance == 200

    # C0's 300 no longer count: C2 may earn 300 of the day's 500.
    apply_orders(order_pks=[by_id["C2"]], at=at)
    assert account_of(customer).balance == 500
    # The cap still holds for what is left.
    survey = ledger.default_program()
    survey.survey_points = 100
    survey.save()
    from dangol.loyalty.services.earning import award_action

    capped = award_action(source=Source.SURVEY, ref="1", customer_pk=customer.pk, at=at)
    assert capped.points == 0


def test_a_reversed_action_frees_the_cap_for_the_next_action_the_same_day():
    program(daily_earn_cap=500)
    customer = CustomerFactory()
    first = ledger.earn_points(
        actor=SYSTEM, customer_pk=customer.pk, points=500, source=Source.REVIEW, idempotency_key="a"
    )
    blocked = ledger.earn_points(
        actor=SYSTEM, customer_pk=customer.pk, points=300, source=Source.REVIEW, idempotency_key="b"
    )
    assert blocked.points == 0
    ledger.reverse_entry(actor=SYSTEM, entry_id=first.pk, idempotency_key="undo-a")
    later = ledger.earn_points(
        actor=SYSTEM, customer_pk=customer.pk, points=300, source=Source.REVIEW, idempotency_key="c"
    )
    assert later.points == 300
    assert account_of(customer).balance == 300


def test_rewards_given_before_orders_were_recorded_get_their_order_and_reverse_on_refund():
    import importlib

    from django.apps import apps

    from dangol.loyalty.services.earning import award_action

    program(referral_points=700)
    product = ProductFactory()
    friend, newcomer = referred_pair()
    bulk_upsert_orders(actor=SYSTEM, rows=[order_row("OLD1", newcomer, [(product, 10000, 1)])])
    referral = Referral.objects.get()
    # As the earlier release rewarded it: keyed on the referral only, no order noted.
    entry = award_action(source=Source.REFERRAL, ref=str(referral.pk), customer_pk=friend.pk)
    Referral.objects.filter(pk=referral.pk).update(entry=entry)
    backfill = importlib.import_module(
        "dangol.loyalty.migrations.0006_referral_orders_backfill"
    ).backfill
    backfill(apps, None)
    assert Referral.objects.get().order.external_id == "OLD1"
    Order.objects.filter(external_id="OLD1").update(status="refunded")
    apply_orders(order_pks=list(Order.objects.values_list("pk", flat=True)))
    assert account_of(friend).balance == 0
    assert Referral.objects.get().entry is None
