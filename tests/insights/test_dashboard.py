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


def test_response_rate_from_invitations_answered_through_their_link(survey, smtp_server):
    from dangol.customers.models import Customer
    from dangol.surveys.models import Invitation
    from dangol.surveys.services.invitations import invite_customers, make_token

    customers = [CustomerFactory(email=f"r{i}@example.com") for i in range(12)]
    invite_customers(actor=SYSTEM, survey=survey, channel="email", wave="w1",
                     customers=Customer.objects.filter(pk__in=[c.pk for c in customers]))
    invitations = list(Invitation.objects.order_by("pk"))
    assert len(invitations) == 12
    for invitation in invitations[:3]:
        path = f"/i/{make_token(invitation)}/"
        client = Client()
        client.get(path)
        client.post(path, {"screen": "0", "q-nps": "9"})
        for screen in range(1, 4):
            client.post(path, {"screen": str(screen)})
    assert Invitation.objects.filter(status="completed").count() == 3
    rate = tiles(dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(7)))
    assert rate["response_rate"].n == 12
    assert rate["response_rate"].value == pytest.approx(3 / 12)
    by_sms = dashboards.build_dashboard(scope=Scope(channel="sms"), window=selectors.last_days(7))
    assert tiles(by_sms)["response_rate"].n == 0


def test_open_cases_and_sla_breaches(survey, owner):
    from dangol.cases import services as case_services
    from dangol.cases import sla

    customers = [CustomerFactory() for _ in range(4)]
    cases = [case_services.open_case(actor=SYSTEM, customer_pk=c.pk, subject=f"불만 {i}",
                                     priority="high")
             for i, c in enumerate(customers)]
    case_services.resolve_case(actor=SYSTEM, case_pk=cases[0].pk, resolution_code="fixed")
    hours = sla.hours_for("high")
    later = timezone.now() + timedelta(hours=hours + 1)
    figures = tiles(dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(7),
                                               now=later))
    assert figures["open_cases"].value == 3
    assert figures["overdue_cases"].value == 3  # the three still open are past due by then
    assert figures["cases_opened"].value == 4
    assert figures["sla_breaches"].value == 3  # the resolved one was on time
    now = tiles(dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(7)))
    assert (now["overdue_cases"].value, now["sla_breaches"].value) == (0, 0)


def test_loyalty_members_and_points_in_the_period():
    from dangol.loyalty.services.ledger import earn_points, redeem_points

    buyers = [CustomerFactory() for _ in range(3)]
    for i, customer in enumerate(buyers):
        earn_points(actor=SYSTEM, customer_pk=customer.pk, points=1000, source="manual",
                    idempotency_key=f"earn-{i}")
    redeem_points(actor=SYSTEM, customer_pk=buyers[0].pk, points=300, idempotency_key="r-0")
    earn_points(actor=SYSTEM, customer_pk=buyers[1].pk, points=500, source="manual",
                idempotency_key="old", at=days_ago(100))
    figures = tiles(dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(30)))
    assert figures["members"].value == 3
    assert figures["new_members"].value == 3
    assert figures["points_earned"].value == 3000  # the earn dated 100 days ago is outside
    assert figures["points_redeemed"].value == 300


def test_weekly_trend_by_hand(survey):
    for score in [10] * 10 + [0] * 2:  # this week: NPS 66.7
        answer(survey, at=days_ago(0), nps=score, csat=5)
    for score in [10] * 5 + [0] * 7:  # three weeks ago: NPS -16.7
        answer(survey, at=days_ago(21), nps=score, csat=3)
    board = dashboards.build_dashboard(scope=Scope(), window=selectors.last_days(30),
                                       grain="week")
    rows = [row for row in board.trend if "nps" in row]
    assert [round(row["nps"], 1) for row in rows] == [-16.7, 66.7]
    assert [row["csat"] for row in rows] == [3.0, 5.0]
    assert [row["nps_n"] for row in rows] == [12, 12]
    assert (rows[1]["start"] - rows[0]["start"]).days == 21
    for row in rows:
        assert row["start"].weekday() == 0  # weeks start on Monday


def test_the_dashboards_queries_do_not_grow_with_the_data(survey, owner):
    def queries_for_page() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = Client(headers={"Accept-Language": "en"})
        client.force_login(owner)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/insights/?period=30").status_code == 200
        return len(captured)

    for score in range(11):
        answer(survey, at=days_ago(1), nps=score, csat=3, comment="배송이 늦어요")
    few = queries_for_page()
    for score in range(11):
        for _ in range(4):
            answer(survey, at=days_ago(3), nps=score, csat=4, comment="가격이 비싸요")
    assert queries_for_page() == few
