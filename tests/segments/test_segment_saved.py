"""Saved segments stay up to date; cached counts; the nightly recount; churn over time."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.config.celery import app as celery_app
from dangol.core.errors import PermissionDenied, ValidationFailed
from dangol.customers.models import Order
from dangol.segments.models import Segment
from dangol.segments.retention import churn_over_time
from dangol.segments.selectors import segment_customers
from dangol.segments.services import create_segment, refresh_member_counts, update_segment
from dangol.segments.tasks import refresh_segment_counts_task
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

BUYERS_OF_SHOES = {"match": "all", "rules": [
    {"field": "product_category", "op": "eq", "value": "신발"},
    {"field": "last_order_days", "op": "lte", "value": 30},
]}


def test_a_customer_joins_the_segment_when_they_place_an_order(owner):
    segment = create_segment(actor=Actor(user=owner), name="Recent shoe buyers",
                             definition=BUYERS_OF_SHOES)
    customer = CustomerFactory()
    assert list(segment_customers(segment)) == []
    OrderLineFactory(order=OrderFactory(customer=customer, ordered_at=timezone.now()),
                     product=ProductFactory(category="신발"))
    assert list(segment_customers(segment)) == [customer]
    # ...and leaves it when the order is refunded.
    Order.objects.filter(customer=customer).update(status="refunded")
    assert list(segment_customers(segment)) == []


def test_member_count_is_cached_on_save_and_refreshed_by_the_nightly_task(owner):
    CustomerFactory(region="서울")
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})
    assert segment.member_count == 1
    CustomerFactory.create_batch(2, region="서울")
    segment.refresh_from_db()
    assert segment.member_count == 1  # a cached figure until recounted
    assert refresh_segment_counts_task.delay().get() == 1
    segment.refresh_from_db()
    assert segment.member_count == 3
    assert refresh_member_counts() == 1  # safe to run twice
    segment.refresh_from_db()
    assert segment.member_count == 3


def test_a_segment_whose_saved_rules_broke_gets_no_count():
    segment = Segment.objects.create(name="old", definition={
        "rules": [{"field": "shoe_size", "op": "eq", "value": 270}]}, member_count=5)
    assert refresh_member_counts() == 0
    segment.refresh_from_db()
    assert segment.member_count is None and segment.counted_at is not None
    with pytest.raises(ValidationFailed):
        segment_customers(segment)


def test_the_recount_runs_nightly_after_scoring():
    celery_app.loader.import_default_modules()
    recount = celery_app.conf.beat_schedule["count-segments-nightly"]
    scoring = celery_app.conf.beat_schedule["score-customers-nightly"]
    assert recount["task"] in celery_app.tasks
    assert recount["schedule"].hour == scoring["schedule"].hour
    assert min(recount["schedule"].minute) > max(scoring["schedule"].minute)


def test_update_keeps_what_is_not_given_and_refuses_without_permission(owner):
    actor = Actor(user=owner)
    segment = create_segment(actor=actor, name="A", description="first",
                             definition={"rules": []})
    update_segment(actor=actor, segment_id=segment.pk, name="B")
    segment.refresh_from_db()
    assert (segment.name, segment.description) == ("B", "first")
    agent = Actor(user=make_staff("agent"))
    with pytest.raises(PermissionDenied):
        update_segment(actor=agent, segment_id=segment.pk, name="C")
    with pytest.raises(PermissionDenied):
        create_segment(actor=agent, name="D", definition={"rules": []})


def at(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 12))


def test_churn_over_time_is_the_share_whose_last_order_is_old():
    # A bought in January only; B in January and May; C first in June.
    a, b, c = CustomerFactory.create_batch(3)
    OrderFactory(customer=a, ordered_at=at(2026, 1, 10))
    OrderFactory(customer=b, ordered_at=at(2026, 1, 10))
    OrderFactory(customer=b, ordered_at=at(2026, 5, 10))
    OrderFactory(customer=c, ordered_at=at(2026, 6, 10))
    OrderFactory(customer=c, ordered_at=at(2026, 7, 10), status="cancelled")
    months = churn_over_time(months=7, days=90, now=at(2026, 7, 20))
    by_month = {m.month.month: (m.customers, m.churned) for m in months}
    assert by_month[1] == (2, 0)
    assert by_month[3] == (2, 0)  # 31 March is 80 days after 10 January
    assert by_month[4] == (2, 2)  # 30 April: both 110 days since January
    assert by_month[5] == (2, 1)  # B came back in May
    assert by_month[7] == (3, 1)  # as of 20 July; C's cancelled order does not count
    assert months[-1].share == pytest.approx(1 / 3)
    assert months[0].month.month == 1 and len(months) == 7


def test_retention_page_draws_churn_over_time(owner_client):
    customer = CustomerFactory()
    OrderFactory(customer=customer, ordered_at=timezone.now() - timedelta(days=800))
    page = owner_client.get("/segments/retention/").content.decode()
    assert 'data-testid="churn-line"' in page and 'data-testid="churn"' in page
    # Every month of the last year counts the customer as lapsed (100 %) → y = 0.
    assert 'points="0.0,0.0 ' in page.split('data-testid="churn-line"')[1][:40]
