"""``{{recommendations}}`` in campaign messages: each customer's own top products."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.campaigns import services
from dangol.campaigns.rendering import PLACEHOLDERS
from dangol.core.errors import ValidationFailed
from dangol.customers.models import Consent
from dangol.customers.recommendations import build_recommendations
from dangol.segments.services import create_segment
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def buy(customer, *products):
    order = OrderFactory(customer=customer, ordered_at=timezone.now() - timedelta(days=5))
    for number, product in enumerate(products, start=1):
        OrderLineFactory(order=order, line_no=number, product=product,
                         unit_price=Decimal(1000), amount=Decimal(1000))


@pytest.fixture
def shop():
    p = {name: ProductFactory(name=name, external_id=name)
         for name in ["셔츠", "청바지", "코트", "비누"]}
    for _ in range(3):
        buy(CustomerFactory(region="부산"), p["셔츠"], p["청바지"])
    buy(CustomerFactory(region="부산"), p["셔츠"], p["코트"])
    for _ in range(5):
        buy(CustomerFactory(region="부산"), p["비누"])
    build_recommendations()
    return p


def test_recommendations_is_an_offered_placeholder():
    assert "recommendations" in PLACEHOLDERS


def test_personal_values_hold_each_customers_top_three(shop):
    shirt_buyer = CustomerFactory()
    buy(shirt_buyer, shop["셔츠"])
    newcomer = CustomerFactory()
    values = services.personal_values([shirt_buyer, newcomer])
    assert values[shirt_buyer.pk]["recommendations"] == "청바지, 코트, 비누"
    assert values[newcomer.pk]["recommendations"] == "비누, 셔츠, 청바지"


def test_preview_fills_in_the_recommendations(shop):
    customer = CustomerFactory()
    buy(customer, shop["셔츠"])
    preview = services.preview(values={"channel": "sms", "purpose": "information",
                                       "body": "추천: {{recommendations}}"}, customer=customer)
    assert preview.body == "추천: 청바지, 코트, 비누"
    example = services.preview(values={"channel": "sms", "purpose": "information",
                                       "body": "{{recommendations}}"})
    assert example.body


def test_a_campaign_sends_each_customer_their_recommendations(
        owner, shop, smtp_server, ad_sender, django_capture_on_commit_callbacks):
    kim = CustomerFactory(name="김단골", email="kim@example.com", region="서울")
    buy(kim, shop["셔츠"])
    lee = CustomerFactory(name="이단골", email="lee@example.com", region="서울")
    for customer in (kim, lee):
        Consent.objects.create(customer=customer, channel="email", purpose="ad",
                               granted_at=timezone.now(), source="test")
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})
    campaign = services.save_campaign(actor=Actor(user=owner), values={
        "name": "추천", "channel": "email", "purpose": "ad", "segment_id": segment.pk,
        "subject": "{{name}}님께 추천",
        "body": "{{name}}님, 이런 상품은 어떠세요? {{recommendations}}",
        "holdout_percent": 0, "conversion_days": 7})
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    mails = {m["To"]: m.text() for m in smtp_server.messages}
    assert "김단골님, 이런 상품은 어떠세요? 청바지, 코트, 비누" in mails["kim@example.com"]
    assert "이단골님, 이런 상품은 어떠세요? 비누, 셔츠, 청바지" in mails["lee@example.com"]


def test_recommendations_in_an_information_campaign_are_refused_as_an_ad(owner):
    segment = create_segment(actor=Actor(user=owner), name="All", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})
    values = {"name": "안내", "channel": "sms", "purpose": "information",
              "segment_id": segment.pk, "body": "추천: {{recommendations}}",
              "holdout_percent": 0, "conversion_days": 7}
    with pytest.raises(ValidationFailed) as error:
        services.save_campaign(actor=Actor(user=owner), values=values)
    assert [p.field for p in error.value.problems] == ["purpose"]
    campaign = services.save_campaign(actor=Actor(user=owner), values=values | {"purpose": "ad"})
    assert campaign.purpose == "ad"
