"""Reads of the reports app: schedules and runs, and the figures of one report.

The figures come from the other apps' selectors (survey results, theme counts,
cases, loyalty program figures) or from grouped SQL queries over their tables;
no query loads the rows of a period into Python. The survey filter of a schedule
narrows the survey scores, the trend and the themes; cases and loyalty figures
are the whole business's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from dangol.cases import selectors as case_selectors
from dangol.cases.models import Case
from dangol.feedback import selectors as feedback_selectors
from dangol.feedback.models import FeedbackItem, Sentiment, ThemeMention
from dangol.loyalty import selectors as loyalty_selectors
from dangol.loyalty.models import Account, Entry, EntryKind
from dangol.reports import timing
from dangol.reports.models import ReportRun, ReportSchedule, RunStatus, Section
from dangol.segments.retention import churn_over_time
from dangol.stats import survey as survey_stats
from dangol.stats.errors import NotEnoughDataError
from dangol.surveys import results as survey_results
from dangol.surveys.definition import QuestionType
from dangol.surveys.models import Answer, Response, Survey

#: Periods shown in the trend chart, by frequency.
TREND_LENGTH = {timing.DAILY: 14, timing.WEEKLY: 8, timing.MONTHLY: 6}
TOP_THEMES = 8
#: A loyalty member is active with points earned or spent within this many days.
ACTIVE_DAYS = 90
#: A customer without an order for this many days has lapsed (as on the retention page).
LAPSED_DAYS = 180


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- schedules and runs -------------------------------------------------------------------


def list_schedules() -> QuerySet[ReportSchedule]:
    return (ReportSchedule.objects.select_related("survey", "owner")
            .annotate(run_count=Count("runs")).order_by("name", "pk"))


def find_schedule(pk: int) -> ReportSchedule | None:
    return ReportSchedule.objects.select_related("survey", "owner").filter(pk=pk).first()


def schedule_runs(schedule: ReportSchedule) -> QuerySet[ReportRun]:
    return schedule.runs.select_related("requested_by").order_by("-pk")


def find_run(pk: int) -> ReportRun | None:
    return ReportRun.objects.select_related("schedule").filter(pk=pk).first()


def due_schedule_ids(now: datetime) -> list[int]:
    return list(ReportSchedule.objects.filter(active=True, next_run_at__lte=now)
                .order_by("next_run_at", "pk").values_list("pk", flat=True))


def due_run_ids(now: datetime, *, lost_after: timedelta) -> list[int]:
    """Runs whose retry is due, runs whose sender stopped mid-way (lease passed), and new
    runs still untouched ``lost_after`` after they were queued (a lost queue message)."""
    pending = Q(status=RunStatus.PENDING)
    return list(ReportRun.objects.filter(
        pending & Q(next_attempt_at__lte=now)
        | pending & Q(next_attempt_at__isnull=True, created_at__lt=now - lost_after)
        | Q(status=RunStatus.SENDING, claimed_until__lt=now))
        .order_by("pk").values_list("pk", flat=True))


def survey_choices() -> QuerySet[Survey]:
    return Survey.objects.order_by("name", "pk")


# --- the figures of one report -------------------------------------------------------------


@dataclass(frozen=True)
class ScoreFigures:
    """Survey scores of one period over the surveys in scope."""

    responses: int = 0
    nps: survey_stats.NPSResult | None = None
    csat: survey_stats.ScaleSummary | None = None
    ces: survey_stats.ScaleSummary | None = None


@dataclass(frozen=True)
class TrendPoint:
    period: timing.Period
    nps: float | None
    n: int


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    label: str
    mentions: int
    negative: int

    @property
    def negative_share(self) -> float:
        return self.negative / self.mentions if self.mentions else 0.0


@dataclass(frozen=True)
class CaseFigures:
    opened: int
    resolved: int
    open_now: int
    overdue_now: int
    due_in_period: int
    sla_breaches: int  # due in the period and not resolved by the due time

    @property
    def sla_met_share(self) -> float | None:
        if not self.due_in_period:
            return None
        return (self.due_in_period - self.sla_breaches) / self.due_in_period


@dataclass(frozen=True)
class LoyaltyFigures:
    program: str
    currency: str
    members: int  # now
    new_members: int
    active_members: int  # earned or redeemed in the 90 days before the period's end
    earned: int
    redeemed: int
    expired: int
    outstanding_points: int  # now
    liability: Decimal  # now


@dataclass(frozen=True)
class RetentionFigures:
    """At the period's end: customers who had ever bought, and those without an order in
    the ``days`` before (lapsed)."""

    customers: int
    lapsed: int
    days: int

    @property
    def lapsed_share(self) -> float | None:
        return self.lapsed / self.customers if self.customers else None


@dataclass
class ReportData:
    schedule_name: str
    language: str
    frequency: str
    sections: list[str]
    period: timing.Period
    previous: timing.Period
    scope: str  # the survey's name, or "" for every survey
    generated_at: datetime
    current: ScoreFigures = field(default_factory=ScoreFigures)
    before: ScoreFigures = field(default_factory=ScoreFigures)
    nps_change: survey_stats.ChangeTest | None = None
    feedback_items: int = 0
    trend: list[TrendPoint] = field(default_factory=list)
    themes: list[ThemeRow] = field(default_factory=list)
    cases: CaseFigures | None = None
    loyalty: LoyaltyFigures | None = None
    retention: RetentionFigures | None = None


def _surveys_in_scope(survey: Survey | None, start: datetime, end: datetime) -> list[Survey]:
    if survey is not None:
        return [survey]
    answered = (Response.objects.filter(status=Response.Status.COMPLETED,
                                        completed_at__gte=start, completed_at__lt=end)
                .values("survey_id"))
    return list(Survey.objects.filter(pk__in=answered).select_related("current_version")
                .order_by("pk"))


def _scale(tally: list[int], low: int) -> survey_stats.ScaleSummary | None:
    if not sum(tally):
        return None
    try:
        return survey_stats.scale_summary_from_counts(tally, low=low)
    except NotEnoughDataError:
        return None


def score_figures(surveys: Iterable[Survey], period: timing.Period,
                  language: str) -> ScoreFigures:
    """NPS, CSAT and CES over the completed responses of ``period``, all surveys' answers
    counted together (the counts of each survey's results, added up)."""
    flt = survey_results.ResultFilter(since=period.start, until=period.last_day)
    responses = 0
    nps_counts = [0, 0, 0]  # promoters, passives, detractors
    tallies: dict[str, list[int]] = {QuestionType.CSAT: [0] * 5, QuestionType.CES: [0] * 7}
    for survey in surveys:
        result = survey_results.survey_results(survey, language=language, flt=flt)
        responses += result.completed
        for question in result.questions:
            if question.nps is not None:
                nps_counts[0] += question.nps.promoters
                nps_counts[1] += question.nps.passives
                nps_counts[2] += question.nps.detractors
            elif question.type in tallies and question.bars:
                tally = tallies[question.type]
                for index, bar in enumerate(question.bars[:len(tally)]):
                    tally[index] += bar.count
    nps = (survey_stats.nps_from_counts(promoters=nps_counts[0], passives=nps_counts[1],
                                        detractors=nps_counts[2]) if sum(nps_counts) else None)
    return ScoreFigures(responses=responses, nps=nps,
                        csat=_scale(tallies[QuestionType.CSAT], 1),
                        ces=_scale(tallies[QuestionType.CES], 1))


def _nps_answers(surveys: Iterable[Survey]) -> Q | None:
    condition = None
    for survey in surveys:
        keys = {q.key for _number, definition in survey_results.survey_definitions(survey)
                for q in definition.questions if q.type == QuestionType.NPS}
        if keys:
            clause = Q(survey_id=survey.pk, question__in=sorted(keys))
            condition = clause if condition is None else condition | clause
    return condition


def nps_trend(surveys: Iterable[Survey], periods: list[timing.Period],
              zone: ZoneInfo) -> list[TrendPoint]:
    """NPS of each period, counted in one SQL query (a conditional count per period)."""
    condition = _nps_answers(surveys)
    if condition is None or not periods:
        return [TrendPoint(p, None, 0) for p in periods]
    first, _ = timing.bounds(periods[0], zone)
    _, last = timing.bounds(periods[-1], zone)
    answers = Answer.objects.filter(condition, row="", number__isnull=False,
                                    response__status=Response.Status.COMPLETED,
                                    response__completed_at__gte=first,
                                    response__completed_at__lt=last)
    counts: dict[str, Any] = {}
    for index, period in enumerate(periods):
        start, end = timing.bounds(period, zone)
        within = Q(response__completed_at__gte=start, response__completed_at__lt=end)
        counts[f"n{index}"] = Count("pk", filter=within)
        counts[f"p{index}"] = Count("pk", filter=within & Q(number__gte=9))
        counts[f"d{index}"] = Count("pk", filter=within & Q(number__lte=6))
    totals = answers.aggregate(**counts)
    points = []
    for index, period in enumerate(periods):
        n = totals[f"n{index}"] or 0
        score = ((totals[f"p{index}"] - totals[f"d{index}"]) * 100 / n) if n else None
        points.append(TrendPoint(period, score, n))
    return points


def top_themes(surveys: Iterable[Survey], *, include_hub: bool, start: datetime,
               end: datetime, language: str, limit: int = TOP_THEMES) -> list[ThemeRow]:
    """Themes most mentioned in the period's survey answers (and, for the whole business,
    in feedback-hub items written in the period), with their negative mentions."""
    totals: dict[str, list[int]] = {}
    for survey in surveys:
        period_responses = Response.objects.filter(
            survey=survey, status=Response.Status.COMPLETED, completed_at__gte=start,
            completed_at__lt=end).values("pk")
        for row in feedback_selectors.theme_sentiment_counts(
                survey_pk=survey.pk, response_pks=period_responses, language=language):
            pair = totals.setdefault(row.theme, [0, 0])
            pair[0] += row.total
            pair[1] += row.negative
    if include_hub:
        hub = (ThemeMention.objects.filter(analysis__feedback_item__occurred_at__gte=start,
                                           analysis__feedback_item__occurred_at__lt=end)
               .values_list("theme")
               .annotate(n=Count("pk"), neg=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)))
               .order_by())
        for theme, n, negative in hub:
            pair = totals.setdefault(theme, [0, 0])
            pair[0] += n
            pair[1] += negative
    labels = feedback_selectors.theme_labels(language)
    rows = [ThemeRow(theme, labels.get(theme, theme), n, negative)
            for theme, (n, negative) in totals.items()]
    rows.sort(key=lambda r: (-r.mentions, -r.negative, r.theme))
    return rows[:limit]


def feedback_item_count(start: datetime, end: datetime) -> int:
    return FeedbackItem.objects.filter(occurred_at__gte=start, occurred_at__lt=end).count()


def case_figures(start: datetime, end: datetime, *, now: datetime) -> CaseFigures:
    """Cases opened and resolved in the period, open and overdue now, and the SLA of the
    cases due in the period (breached: not resolved by the due time), in one query
    besides the inbox counts."""
    active = case_selectors.list_cases(case_selectors.CaseFilters(status="active"), now=now)
    overdue = case_selectors.list_cases(case_selectors.CaseFilters(overdue=True), now=now)
    due = Q(due_at__gte=start, due_at__lt=end)
    figures = Case.objects.aggregate(
        opened=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        due=Count("pk", filter=due),
        breached=Count("pk", filter=due & (Q(resolved_at__isnull=True, due_at__lt=now)
                                           | Q(resolved_at__gt=F("due_at")))),
    )
    return CaseFigures(opened=figures["opened"], resolved=figures["resolved"],
                       open_now=active.count(), overdue_now=overdue.count(),
                       due_in_period=figures["due"], sla_breaches=figures["breached"])


def loyalty_figures(start: datetime, end: datetime) -> LoyaltyFigures | None:
    """The default program's members, outstanding points and liability now (from the
    loyalty app's figures), and for the period: points earned, redeemed and expired,
    members who joined, and members active in the 90 days before its end."""
    program = loyalty_selectors.find_default_program()
    if program is None:
        return None
    overall = loyalty_selectors.program_figures(program=program)
    within = Q(at__gte=start, at__lt=end)
    sums = Entry.objects.filter(within, program=program).aggregate(
        earned=Sum("lot__points", filter=Q(kind=EntryKind.EARN)),
        redeemed=Sum("amount", filter=Q(kind=EntryKind.REDEEM)),
        expired=Sum("amount", filter=Q(kind=EntryKind.EXPIRE)))
    active = (Entry.objects.filter(program=program, at__gte=end - timedelta(days=ACTIVE_DAYS),
                                   at__lt=end, kind__in=[EntryKind.EARN, EntryKind.REDEEM])
              .values("account_id").distinct().count())
    new_members = Account.objects.filter(program=program, created_at__gte=start,
                                         created_at__lt=end).count()
    return LoyaltyFigures(
        program=program.name, currency=program.currency, members=overall.members,
        new_members=new_members, active_members=active,
        earned=sums["earned"] or 0, redeemed=sums["redeemed"] or 0,
        expired=sums["expired"] or 0, outstanding_points=overall.outstanding_points,
        liability=overall.liability)


def retention_figures(end: datetime, *, days: int = LAPSED_DAYS) -> RetentionFigures:
    """Customers who had bought by ``end`` and those lapsed then (one aggregate over the
    orders, by the segments app)."""
    (month,) = churn_over_time(months=1, days=days, now=end)
    return RetentionFigures(customers=month.customers, lapsed=month.churned, days=days)


def report_data(*, schedule: ReportSchedule, period: timing.Period,
                now: datetime | None = None) -> ReportData:
    """Every figure of ``schedule``'s report for ``period``; only its sections are read."""
    now = now or timezone.now()
    zone = business_zone()
    language = schedule.language
    sections = [s for s in Section.values if s in (schedule.sections or [])]
    previous = timing.previous_period(schedule.frequency, period)
    start, end = timing.bounds(period, zone)
    before_start, _ = timing.bounds(previous, zone)
    data = ReportData(schedule_name=schedule.name, language=language,
                      frequency=schedule.frequency, sections=sections, period=period,
                      previous=previous, scope=schedule.survey.name if schedule.survey else "",
                      generated_at=now)
    surveys = _surveys_in_scope(schedule.survey, before_start, end)
    if Section.SUMMARY in sections:
        data.current = score_figures(surveys, period, language)
        data.before = score_figures(surveys, previous, language)
        if data.current.nps and data.before.nps:
            data.nps_change = survey_stats.compare_nps(data.before.nps, data.current.nps)
        if schedule.survey is None:
            data.feedback_items = feedback_item_count(start, end)
    if Section.TREND in sections:
        periods = timing.trend_periods(schedule.frequency, period,
                                       TREND_LENGTH[schedule.frequency])
        trend_start, _ = timing.bounds(periods[0], zone)
        data.trend = nps_trend(_surveys_in_scope(schedule.survey, trend_start, end), periods,
                               zone)
    if Section.THEMES in sections:
        data.themes = top_themes(_surveys_in_scope(schedule.survey, start, end),
                                 include_hub=schedule.survey is None, start=start, end=end,
                                 language=language)
    if Section.CASES in sections:
        data.cases = case_figures(start, end, now=now)
    if Section.LOYALTY in sections:
        data.loyalty = loyalty_figures(start, end)
        data.retention = retention_figures(min(end, now))
    return data
