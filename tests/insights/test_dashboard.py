"""Dashboard figures checked against numbers worked out by hand from data made through the
real services (survey answers, invitations, cases, feedback, loyalty, orders)."""

import math
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.insights import dashboard as dashboards
from dangol.insights import selectors
from dangol.insights.selectors import Scope
from tests.factories import CustomerFactory, OrderFactory
from tests.insights.conftest import answer, days_ago

pytestmark = pytest.mark.django_db

Z95 = 1.959963984540054


def tiles(board):
    return {t.key: t for t in board.scores + board.engagement + board.cases + board.loyalty}


def test_nps_csat_ces_with_interval_and_change_against_the_previous_period(survey):
    # Last 30 days: 6 promoters (10), 3 passives (8), 3 detractors (3): NPS 25.
    for score in [10] * 6 + [8] * 3 + [3] * 3:
        answer(survey, at=days_ago(2), nps=score, csat=5 if score >= 9 else 2, ces=6)
    # The 30 days before: 2 promoters, 4 passives, 6 detractors: NPS -33.3.
    for score in [9] * 2 + [7] * 4 + [0] * 6:
        answer(survey, at=days_ago(40), nps=score, csat=3, ces=4)
    # Older than both periods: not counted.
    answer(survey, at=days_ago(75), nps=0)

    board = dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(30))
    nps = tiles(board)["nps"]
    assert nps.n == 12 and nps.enough
    assert nps.value == pytest.approx(25.0)
    pro, det = 6 / 12, 3 / 12
    se = 100 * math.sqrt((pro + det - (pro - det) ** 2) / 12)
    assert (nps.low, nps.high) == (pytest.approx(25 - Z95 * se), pytest.approx(25 + Z95 * se))
    assert nps.previous == pytest.approx(-100 / 3)
    before_se = 100 * math.sqrt((2 / 12 + 6 / 12 - (2 / 12 - 6 / 12) ** 2) / 12)
    assert nps.change == pytest.approx(25 + 100 / 3)
    z = (25 + 100 / 3) / math.hypot(se, before_se)
    assert nps.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert nps.significant is (nps.p_value < 0.05)

    csat = tiles(board)["csat"]
    assert csat.n == 12
    assert csat.value == pytest.approx((6 * 5 + 6 * 2) / 12)  # 3.5
    assert csat.previous == pytest.approx(3.0)
    assert csat.change == pytest.approx(0.5)
    ces = tiles(board)["ces"]
    assert (ces.value, ces.previous) == (pytest.approx(6.0), pytest.approx(4.0))


def test_a_small_sample_says_not_enough_data_in_words(survey, owner):
    for score in (10, 9, 0):
        answer(survey, at=days_ago(1), nps=score)
    board = dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(7))
    nps = tiles(board)["nps"]
    assert nps.n == 3 and not nps.enough
    assert nps.display == "Not enough data"
    assert nps.change is None and nps.p_value is None
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(owner)
    page = client.get("/insights/?period=7").content.decode()
    assert 'data-testid="not-enough-nps"' in page
    assert "Only 3 answers so far; at least 10 are needed." in page


def test_filters_by_survey_channel_and_custom_dates(survey, other_survey):
    for _ in range(10):
        answer(survey, at=days_ago(3), channel="email", nps=10)
        answer(other_survey, at=days_ago(3), channel="qr", nps=0)
    all_of_them = dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(7))
    assert tiles(all_of_them)["nps"].value == pytest.approx(0.0)
    only_first = dashboards.build_dashboard(scope=Scope(survey_pk=survey.pk),
                                            window=selectors.last_days(7))
    assert tiles(only_first)["nps"].value == pytest.approx(100.0)
    by_qr = dashboards.build_dashboard(scope=Scope(channel="qr"), window=selectors.last_days(7))
    assert tiles(by_qr)["nps"].value == pytest.approx(-100.0)
    today = timezone.localdate()
    before = dashboards.window_for(period="custom", since=today - timedelta(days=60),
                                   until=today - timedelta(days=10))
    assert tiles(dashboards.build_dashboard(scope=Scope(), window=before))["nps"].n == 0


def test_store_and_segment_filters_limit_to_those_customers(survey, owner):
    from dangol.segments.services import create_segment

    gangnam = [CustomerFactory(region="부산") for _ in range(10)]
    others = [CustomerFactory(region="서울") for _ in range(10)]
    for customer in gangnam:
        OrderFactory(customer=customer, store="강남점", ordered_at=days_ago(50))
        OrderFactory(customer=customer, store="강남점", ordered_at=days_ago(2))
        answer(survey, at=days_ago(2), customer_pk=customer.pk, nps=9)
    for customer in others:
        OrderFactory(customer=customer, store="홍대점", ordered_at=days_ago(2))
        answer(survey, at=days_ago(2), customer_pk=customer.pk, nps=2)
    window = selectors.last_days(30)
    store = tiles(dashboards.build_dashboard(scope=Scope(store="강남점"), window=window))
    assert store["nps"].value == pytest.approx(100.0)
    assert store["repeat_purchase"].value == pytest.approx(1.0)  # all 10 had ordered before
    everyone = tiles(dashboards.build_dashboard(scope=Scope(), window=window))
    assert everyone["repeat_purchase"].n == 20
    assert everyone["repeat_purchase"].value == pytest.approx(0.5)
    segment = create_segment(actor=SYSTEM, name="부산 고객", definition={
        "rules": [{"field": "region", "op": "eq", "value": "부산"}]})
    by_segment = tiles(dashboards.build_dashboard(scope=Scope(segment_pk=segment.pk),
                                                  window=window))
    assert by_segment["nps"].n == 10 and by_segment["nps"].value == pytest.approx(100.0)
