"""Tiers: upgrades at once, downgrades only at period end, history, notices, benefits."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dangol.loyalty.models import Account, Coupon, CouponCampaign, Entry, Source, Tier, TierChange
from dangol.loyalty.services import ledger
from dangol.loyalty.services.earning import apply_orders
from dangol.loyalty.services.tiers import evaluate_tiers, issue_tier_benefits
from dangol.loyalty.tokens import card_token
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def tiers():
    program = ledger.default_program()
    program.tier_period_days = 365
    program.starts_at = timezone.now() - timedelta(days=1000)
    program.save()
    silver = Tier.objects.create(
        program=program,
        name="Silver",
        rank=1,
        min_spend=Decimal(100000),
        earn_multiplier=Decimal("1.5"),
    )
    gold = Tier.objects.create(
        program=program,
        name="Gold",
        rank=2,
        min_spend=Decimal(500000),
        min_orders=10,
        earn_multiplier=Decimal(2),
        birthday_points=1000,
    )
    return silver, gold


def test_upgrade_at_once_downgrade_only_at_period_end(
    smtp_server, django_capture_on_commit_callbacks
):
    silver, gold = tiers()
    now = timezone.now()
    customer = CustomerFactory(email="vip@example.com")
    order = OrderFactory(
        customer=customer, total_amount=Decimal(600000), ordered_at=now - timedelta(days=300)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluate_tiers(at=now)
    assert run.upgraded == 1
    account = Account.objects.get(customer=customer)
    assert account.tier == gold
    assert "Gold" in smtp_server.messages[0]["Subject"]
    # 100 days later the order has left the 365-day window, but Gold was granted for a
    # year: it is kept until then.
    later = now + timedelta(days=100)
    assert evaluate_tiers(at=later).kept == 1
    assert Account.objects.get(customer=customer).tier == gold
    OrderFactory(customer=customer, total_amount=Decimal(150000), ordered_at=later)
    at_end = now + timedelta(days=366)
    evaluate_tiers(at=at_end)
    assert Account.objects.get(customer=customer).tier == silver
    history = list(
        TierChange.objects.filter(account=account)
        .order_by("at")
        .values_list("from_tier__name", "to_tier__name")
    )
    assert history == [(None, "Gold"), ("Gold", "Silver")]
    assert order.pk


def test_tier_multiplier_applies_to_earning_and_shows_on_the_customer_page(client):
    silver, _gold = tiers()
    customer = CustomerFactory()
    Account.objects.create(program=silver.program, customer=customer, tier=silver)
    order = OrderFactory(
        customer=customer,
        total_amount=Decimal(10000),
        ordered_at=timezone.now() - timedelta(days=1),
    )
    apply_orders(order_pks=[order.pk])
    assert Account.objects.get(customer=customer).balance == 150  # 100 × 1.5
    page = client.get(f"/loyalty/card/{card_token(customer_pk=customer.pk)}/?lang=en")
    body = page.content.decode()
    assert "Silver" in body and "Gold" in body


def test_monthly_coupon_and_birthday_bonus_once():
    _silver, gold = tiers()
    shipping = CouponCampaign.objects.create(
        program=gold.program, name="무료배송", kind="fixed", value=Decimal(3000)
    )
    gold.monthly_coupon = shipping
    gold.save()
    program = gold.program
    program.birthday_points = 500
    program.save()
    today = timezone.localdate()
    customer = CustomerFactory(birthday=today.replace(year=1990))
    Account.objects.create(program=program, customer=customer, tier=gold)
    assert issue_tier_benefits() == 2
    assert issue_tier_benefits() == 1  # the birthday call repeats its key: no new points
    assert Coupon.objects.filter(campaign=shipping, customer=customer).count() == 1
    assert Account.objects.get(customer=customer).balance == 1500
    assert Entry.objects.filter(source=Source.BIRTHDAY).count() == 1


def test_the_card_shows_what_is_left_to_spend_in_the_programs_currency(client):
    silver, gold = tiers()
    customer = CustomerFactory()
    Account.objects.create(program=silver.program, customer=customer, tier=silver)
    url = f"/loyalty/card/{card_token(customer_pk=customer.pk)}/"
    needed = gold.min_spend
    korean = client.get(url + "?lang=ko").content.decode()
    assert f"{needed:,.0f}원 더 구매하시면 Gold 등급이 됩니다." in korean
    english = client.get(url + "?lang=en").content.decode()
    assert f"₩{needed:,.0f} more to spend to reach Gold." in english
    program = silver.program
    program.currency = "USD"
    program.save()
    english = client.get(url + "?lang=en").content.decode()
    assert f"${needed:,.2f} more to spend to reach Gold." in english
