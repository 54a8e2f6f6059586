from datetime import datetime

import pytest
from django.utils import timezone

from dangol.segments.retention import cohort_retention
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def at(year, month, day=10):
    return timezone.make_aware(datetime(year, month, day, 12))


def test_cohorts_count_customers_by_first_order_month():
    # January cohort: A, B, C. A returns in February and April, B in February,
    # C never; a refunded order of C in March does not count.
    a, b, c, d = CustomerFactory.create_batch(4)
    for customer, month in [(a, 1), (a, 2), (a, 4), (b, 1), (b, 2), (c, 1), (d, 3)]:
        OrderFactory(customer=customer, ordered_at=at(2026, month))
    OrderFactory(customer=c, ordered_at=at(2026, 3), status="refunded")
    table = cohort_retention(months=4)
    january, march = table.rows
    assert (january.cohort.month, january.size) == (1, 3)
    assert january.retention == [1.0, 2 / 3, 0.0, 1 / 3]
    assert january.repeat_rate == pytest.approx(2 / 3)
    # March is the latest month with orders: one month of history, the rest unknown.
    assert (march.size, march.retention) == (1, [1.0, 0.0, None, None])
    assert table.average_by_month()[1] == pytest.approx((2 / 3 * 3 + 0 * 1) / 4)


def test_retention_page(owner_client):
    customer = CustomerFactory()
    OrderFactory(customer=customer, ordered_at=at(2026, 1))
    OrderFactory(customer=customer, ordered_at=at(2026, 2))
    page = owner_client.get("/segments/retention/").content.decode()
    assert 'data-testid="cohorts"' in page and "2026-01" in page
    assert 'data-testid="retention-line" points="0.0,0.0 54.5,0.0"' in page
