"""Coupons at checkout: validate → reserve → confirm or release, with stable refusal codes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.loyalty import selectors
from dangol.loyalty.models import Account, Coupon, CouponCampaign, CouponUse, Source
from dangol.loyalty.services import coupons, ledger
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def campaign(**fields):
    values = {
        "program": ledger.default_program(),
        "name": "5천원 할인",
        "kind": CouponCampaign.Kind.FIXED,
        "value": Decimal(5000),
    } | fields
    return CouponCampaign.objects.create(**values)


def post(client, path, body):
    return client.post(f"/api/loyalty{path}", body, content_type="application/json")


def test_codes_cannot_be_guessed_and_are_typed_forgivingly():
    codes = {coupons.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and not set(c) & set("01OIL") for c in codes)
    coupon = coupons.issue_coupon(actor=SYSTEM, campaign=campaign(member_only=False))
    typed = coupons.display_code(coupon.code).lower().replace("-", " - ")
    quote = coupons.validate_coupon(
        code=typed, customer_pk=None, order_amount=Decimal(30000), currency="KRW"
    )
    assert quote.discount == Decimal(5000)


def test_percent_discount_rounds_down_to_whole_won_and_respects_the_cap():
    percent = campaign(
        kind=CouponCampaign.Kind.PERCENT, value=Decimal(15), max_discount=Decimal(10000)
    )
    assert coupons.discount_for(percent, Decimal(33333)) == Decimal(4999)
    assert coupons.discount_for(percent, Decimal(1000000)) == Decimal(10000)


def test_checkout_flow_through_the_api(loyalty_api):
    customer = CustomerFactory()
    coupon = coupons.issue_coupon(
        actor=SYSTEM, campaign=campaign(min_spend=Decimal(20000)), customer_pk=customer.pk
    )
    body = {
        "code": coupon.code,
        "customer_id": customer.external_id,
        "order_amount": "25000",
        "currency": "KRW",
    }
    quote = post(loyalty_api, "/coupons/validate", body)
    assert (quote.status_code, quote.json()["discount"]) == (200, "5000.00")
    low = post(loyalty_api, "/coupons/validate", {**body, "order_amount": "19999"})
    assert (low.status_code, low.json()["code"]) == (409, "min_spend_not_met")
    held = post(loyalty_api, "/coupons/reserve", {**body, "idempotency_key": "chk-1"})
    assert held.status_code == 201, held.content
    assert (
        post(loyalty_api, "/coupons/reserve", {**body, "idempotency_key": "chk-1"}).json()["id"]
        == held.json()["id"]
    )
    again = post(loyalty_api, "/coupons/reserve", {**body, "idempotency_key": "chk-2"})
    assert (again.status_code, again.json()["code"]) == (409, "coupon_used")
    use_id = held.json()["id"]
    release = post(loyalty_api, f"/coupons/reservations/{use_id}/release", {})
    assert release.json()["status"] == "released"
    held = post(loyalty_api, "/coupons/reserve", {**body, "idempotency_key": "chk-3"}).json()
    done = post(loyalty_api, f"/coupons/reservations/{held['id']}/confirm", {"order_ref": "O1"})
    assert done.json()["status"] == "confirmed"
    used = post(loyalty_api, "/coupons/validate", body)
    assert used.json()["code"] == "coupon_used"
    stranger = CustomerFactory()
    other = post(loyalty_api, "/coupons/validate", {**body, "customer_id": stranger.external_id})
    assert other.json()["code"] in {"not_your_coupon", "coupon_used"}
    unknown = post(loyalty_api, "/coupons/validate", {**body, "code": "NOPE-NOPE-NOPE"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_coupon")


def test_budget_members_only_expiry_and_stale_holds():
    now = timezone.now()
    shared = campaign(
        multi_use=True, budget_uses=1, per_customer_limit=5, ends_at=now + timedelta(days=1)
    )
    coupon = coupons.issue_coupon(actor=SYSTEM, campaign=shared)
    a, b = CustomerFactory.create_batch(2)
    with pytest.raises(coupons.CouponRefused) as refused:
        coupons.validate_coupon(
            code=coupon.code, customer_pk=None, order_amount=Decimal(9000), currency="KRW"
        )
    assert refused.value.code == "members_only"
    coupons.reserve_coupon(
        actor=SYSTEM,
        code=coupon.code,
        customer_pk=a.pk,
        order_amount=Decimal(9000),
        currency="KRW",
        order_ref="A",
        idempotency_key="a",
        at=now,
    )
    with pytest.raises(coupons.CouponRefused) as refused:
        coupons.reserve_coupon(
            actor=SYSTEM,
            code=coupon.code,
            customer_pk=b.pk,
            order_amount=Decimal(9000),
            currency="KRW",
            order_ref="B",
            idempotency_key="b",
            at=now,
        )
    assert refused.value.code == "budget_exhausted"
    # A's hold runs out unconfirmed: the next reservation releases it and gets the place.
    later = now + coupons.HOLD + timedelta(seconds=1)
    coupons.reserve_coupon(
        actor=SYSTEM,
        code=coupon.code,
        customer_pk=b.pk,
        order_amount=Decimal(9000),
        currency="KRW",
        order_ref="B",
        idempotency_key="b2",
        at=later,
    )
    assert list(CouponUse.objects.order_by("pk").values_list("status", flat=True)) == [
        "released",
        "reserved",
    ]
    shared.refresh_from_db()
    assert (shared.used_count, shared.used_amount) == (1, Decimal(5000))
    with pytest.raises(coupons.CouponRefused) as refused:
        coupons.validate_coupon(
            code=coupon.code,
            customer_pk=a.pk,
            order_amount=Decimal(9000),
            currency="KRW",
            at=now + timedelta(days=2),
        )
    assert refused.value.code == "coupon_expired"


def test_buying_a_reward_spends_points_and_issues_the_coupon_once():
    customer = CustomerFactory()
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=3000,
        source=Source.ORDER,
        idempotency_key="o1",
    )
    reward = campaign(points_cost=2000, valid_days=30)
    first = coupons.buy_reward(
        actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="buy-1"
    )
    again = coupons.buy_reward(
        actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="buy-1"
    )
    assert first.pk == again.pk
    assert Account.objects.get(customer=customer).balance == 1000
    with pytest.raises(ledger.InsufficientPoints):
        coupons.buy_reward(
            actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="buy-2"
        )
    assert Coupon.objects.filter(customer=customer).count() == 1


def test_an_ended_or_spent_reward_is_not_for_sale_but_a_repeat_still_returns_the_coupon():
    customer = CustomerFactory()
    ledger.earn_points(
        actor=SYSTEM, customer_pk=customer.pk, points=9000, source=Source.ORDER, idempotency_key="o"
    )
    reward = campaign(points_cost=1000, budget_uses=1)
    bought = coupons.buy_reward(
        actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="b1"
    )
    CouponCampaign.objects.filter(pk=reward.pk).update(used_count=1)
    with pytest.raises(coupons.CouponRefused) as spent:
        coupons.buy_reward(
            actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="b2"
        )
    assert spent.value.code == "budget_exhausted"
    CouponCampaign.objects.filter(pk=reward.pk).update(
        used_count=0, ends_at=timezone.now() - timedelta(minutes=1)
    )
    assert reward.pk not in set(selectors.reward_catalogue().values_list("pk", flat=True))
    with pytest.raises(coupons.NotFound) as ended:
        coupons.buy_reward(
            actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="b3"
        )
    assert ended.value.code == "unknown_reward"
    repeat = coupons.buy_reward(
        actor=SYSTEM, customer_pk=customer.pk, campaign_id=reward.pk, idempotency_key="b1"
    )
    assert repeat.pk == bought.pk
    assert Account.objects.get(customer=customer).balance == 8000


def test_welcome_and_birthday_coupons_are_issued_once():
    now = timezone.now()
    campaign(name="welcome", auto=CouponCampaign.Auto.WELCOME, valid_days=14)
    campaign(name="birthday", auto=CouponCampaign.Auto.BIRTHDAY)
    today = timezone.localdate(now)
    CustomerFactory(birthday=today.replace(year=1990, day=1))
    CustomerFactory(birthday=today.replace(year=1990, day=1) - timedelta(days=40))
    issued = coupons.issue_automatic_coupons(at=now)
    assert issued == 2 + 1  # both are new customers; one has a birthday this month
    assert coupons.issue_automatic_coupons(at=now) == 0
