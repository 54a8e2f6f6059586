"""The report's figures match data made through the real services."""

import io
import math
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from pypdf import PdfReader

from dangol.accounts.actors import SYSTEM
from dangol.cases import services as case_services
from dangol.cases.models import Case
from dangol.loyalty.models import Account
from dangol.loyalty.services import earn_points, redeem_points
from dangol.reports import delivery, selectors
from dangol.reports.timing import Period
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory, OrderFactory
from tests.reports.conftest import answer, make_schedule, seoul

pytestmark = pytest.mark.django_db

OCTOBER = Period(date(2026, 10, 1), date(2026, 11, 1))


@pytest.fixture
def shop(survey, time_machine, django_capture_on_commit_callbacks):
    """Answers, cases and points in September, October (the period) and November."""
    make_rule(threshold=6, priority="high")
    first, second = CustomerFactory(), CustomerFactory()

    def at(moment, action):
        time_machine.move_to(moment, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    at(seoul(2026, 9, 10), lambda: answer(survey, nps=10))
    at(seoul(2026, 9, 15), lambda: answer(survey, nps=3))
    at(seoul(2026, 9, 20), lambda: earn_points(actor=SYSTEM, customer_pk=first.pk, points=500,
                                               source="manual", idempotency_key="sep"))
    at(seoul(2026, 9, 30, 23, 30), lambda: answer(survey, nps=9))  # still September in Seoul
    at(seoul(2026, 10, 3), lambda: answer(survey, first, nps=2, csat=2, ces=3,
                                          comment="배송이 너무 늦어요. 정말 실망했어요"))
    case = Case.objects.get(response__completed_at__date=date(2026, 10, 3))
    at(seoul(2026, 10, 3, 14), lambda: case_services.resolve_case(
        actor=SYSTEM, case_pk=case.pk, resolution_code="apology"))  # within its 24 h
    at(seoul(2026, 10, 5), lambda: answer(survey, nps=10, csat=5, ces=7))
    at(seoul(2026, 10, 5, 13), lambda: earn_points(
        actor=SYSTEM, customer_pk=first.pk, points=1000, source="manual",
        idempotency_key="oct"))
    at(seoul(2026, 10, 7), lambda: earn_points(actor=SYSTEM, customer_pk=second.pk, points=200,
                                               source="manual", idempotency_key="oct-2"))
    at(seoul(2026, 10, 10), lambda: answer(survey, nps=10, csat=5, ces=6))
    at(seoul(2026, 10, 10, 13), lambda: redeem_points(actor=SYSTEM, customer_pk=first.pk,
                                                      points=300, idempotency_key="r1"))
    at(seoul(2026, 10, 12), lambda: answer(survey, nps=9, csat=4))
    at(seoul(2026, 10, 15), lambda: answer(survey, nps=8, csat=4))
    at(seoul(2026, 10, 18), lambda: answer(survey, nps=7))
    at(seoul(2026, 10, 20), lambda: answer(survey, nps=0, csat=1, ces=1))  # never resolved
    at(seoul(2026, 11, 1, 0, 30), lambda: answer(survey, nps=10))  # November in Seoul
    time_machine.move_to(seoul(2026, 11, 1, 9, 5), tick=False)
    return survey


def test_scores_responses_and_change_match_the_answers(shop):
    schedule = make_schedule(frequency="monthly", day_of_month=1, survey_pk=shop.pk)
    data = selectors.report_data(schedule=schedule, period=OCTOBER)
    assert data.previous == Period(date(2026, 9, 1), date(2026, 10, 1))
    assert data.current.responses == 7 and data.before.responses == 3
    nps = data.current.nps
    assert (nps.promoters, nps.passives, nps.detractors) == (3, 2, 2)
    assert nps.score == pytest.approx(100 / 7)
    p_pro, p_det = 3 / 7, 2 / 7
    se = math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / 7) * 100
    assert nps.interval.low == pytest.approx(100 / 7 - 1.959964 * se, abs=1e-3)
    assert nps.interval.high == pytest.approx(100 / 7 + 1.959964 * se, abs=1e-3)
    assert data.before.nps.score == pytest.approx(100 / 3)
    assert data.nps_change.difference == pytest.approx(100 / 7 - 100 / 3)
    assert data.current.csat.n == 6 and data.current.csat.mean == pytest.approx(21 / 6)
    assert data.current.ces.n == 4 and data.current.ces.mean == pytest.approx(17 / 4)
    assert data.before.csat is None


def test_trend_counts_each_month_in_business_time(shop):
    schedule = make_schedule(frequency="monthly", day_of_month=1, survey_pk=shop.pk)
    data = selectors.report_data(schedule=schedule, period=OCTOBER)
    assert [p.period.start for p in data.trend] == [date(2026, m, 1) for m in range(5, 11)]
    assert [p.n for p in data.trend] == [0, 0, 0, 0, 3, 7]
    assert data.trend[-2].nps == pytest.approx(100 / 3)
    assert data.trend[-1].nps == pytest.approx(100 / 7)
    assert data.trend[0].nps is None


def test_themes_cases_loyalty_and_retention(shop):
    first, second = Account.objects.order_by("pk").values_list("customer", flat=True)
    OrderFactory(customer_id=first, ordered_at=seoul(2026, 4, 1))  # 214 days before 1 Nov
    OrderFactory(customer_id=second, ordered_at=seoul(2026, 10, 9))
    OrderFactory(ordered_at=seoul(2026, 11, 1, 1))  # after the period: not counted
    schedule = make_schedule(frequency="monthly", day_of_month=1)  # every survey
    data = selectors.report_data(schedule=schedule, period=OCTOBER)
    delivery_theme = next(t for t in data.themes if "배송" in t.label)
    assert (delivery_theme.mentions, delivery_theme.negative) == (1, 1)
    assert delivery_theme.negative_share == 1.0
    cases = data.cases
    assert (cases.opened, cases.resolved, cases.open_now) == (2, 1, 2)
    assert (cases.due_in_period, cases.sla_breaches) == (2, 1)
    assert cases.sla_met_share == 0.5
    loyalty = data.loyalty
    assert (loyalty.members, loyalty.new_members) == (2, 1)
    assert (loyalty.earned, loyalty.redeemed, loyalty.expired) == (1200, 300, 0)
    assert loyalty.outstanding_points == 1400
    assert loyalty.active_members == 2
    retention = data.retention
    assert (retention.customers, retention.lapsed, retention.days) == (2, 1, 180)


def test_the_pdf_shows_the_same_numbers_in_korean(shop):
    schedule = make_schedule(frequency="monthly", day_of_month=1, survey_pk=shop.pk)
    content = delivery.render_pdf(schedule, OCTOBER)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "14.3" in text and "33.3" in text  # NPS now and before
    assert "3.50" in text and "4.25" in text  # CSAT and CES means
    assert "2026-10-01 ~ 2026-10-31" in text
    assert "관계 NPS 조사" in text  # the survey's Korean name, intact
    assert "1,200" in text  # points earned


def test_sections_not_chosen_are_not_read(shop):
    schedule = make_schedule(frequency="monthly", day_of_month=1, sections=["cases"])
    data = selectors.report_data(schedule=schedule, period=OCTOBER)
    assert data.current.nps is None and data.trend == [] and data.loyalty is None
    assert data.cases is not None
    with translation.override("en"):
        assert delivery.render_pdf(schedule, OCTOBER).startswith(b"%PDF")


def test_weekly_previous_period_is_the_week_before(shop):
    schedule = make_schedule(frequency="weekly", weekday=0, survey_pk=shop.pk)
    week = Period(date(2026, 10, 12), date(2026, 10, 19))
    data = selectors.report_data(schedule=schedule, period=week)
    assert data.previous == Period(date(2026, 10, 5), date(2026, 10, 12))
    assert (data.current.responses, data.before.responses) == (3, 2)
    assert len(data.trend) == 8 and data.trend[-1].period == week
    assert data.trend[-1].period.end - data.trend[-1].period.start == timedelta(days=7)


def test_the_figures_cost_the_same_queries_for_ten_times_the_answers(
        survey, time_machine):
    schedule = make_schedule(frequency="monthly", day_of_month=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.report_data(schedule=schedule, period=OCTOBER, now=seoul(2026, 11, 2))
        return len(captured.captured_queries)

    time_machine.move_to(seoul(2026, 10, 10), tick=False)
    for score in (10, 3, 8):
        answer(survey, CustomerFactory(), nps=score, csat=4)
    few = queries()
    for index in range(27):
        answer(survey, CustomerFactory(), nps=index % 11, csat=1 + index % 5)
    assert queries() == few
