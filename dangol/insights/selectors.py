"""Aggregates behind the dashboard and the alerts, counted in SQL.

Every function here returns a handful of numbers per call: the database groups
and counts (DESIGN rule 7), Python only lays the counts out. Where another app
already has the read (segments, cases, loyalty, surveys), it is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from dangol.cases import selectors as case_selectors
from dangol.cases.models import OPEN_STATUSES
from dangol.customers.models import Order
from dangol.feedback.models import Sentiment, ThemeMention
from dangol.loyalty import selectors as loyalty_selectors
from dangol.loyalty.models import Account, Entry, EntryKind
from dangol.segments import retention
from dangol.segments import selectors as segment_selectors
from dangol.surveys.definition import QuestionType
from dangol.surveys.models import Answer, Invitation, Response, Survey, SurveyVersion

SCORE_TYPES = (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES)
#: Answer values of each score type: the fixed scales of the question types.
SCALES = {QuestionType.NPS: (0, 10), QuestionType.CSAT: (1, 5), QuestionType.CES: (1, 7)}


@dataclass(frozen=True)
class Scope:
    """What the numbers cover: one survey, one response channel, customers who ordered at
    one store, customers of one saved segment (each optional)."""

    survey_pk: int | None = None
    channel: str = ""
    store: str = ""
    segment_pk: int | None = None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start).total_seconds() / 86400))

    def previous(self) -> Window:
        return Window(self.start - (self.end - self.start), self.start)


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` in the business time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def last_days(days: int, *, now: datetime | None = None) -> Window:
    """The last ``days`` days including today (business time zone)."""
    today = timezone.localtime(now or timezone.now()).date()
    end = start_of(today + timedelta(days=1))
    return Window(end - timedelta(days=days), end)


def between(since: date, until: date) -> Window:
    """From the start of ``since`` to the end of ``until`` (both included)."""
    return Window(start_of(since), start_of(until + timedelta(days=1)))


def whole_days_before(days: int, *, now: datetime | None = None) -> Window:
    """The ``days`` whole days that ended at the start of today (alert windows)."""
    today = timezone.localtime(now or timezone.now()).date()
    end = start_of(today)
    return Window(end - timedelta(days=days), end)


# --- scope -------------------------------------------------------------------------------


def _customers_in_scope(scope: Scope) -> QuerySet[Any] | None:
    """Customer ids the scope limits to (segment and/or store), or None for all."""
    ids: QuerySet[Any] | None = None
    if scope.segment_pk is not None:
        segment = segment_selectors.find_segment(scope.segment_pk)
        members = (segment_selectors.segment_customers(segment) if segment is not None
                   else Order.objects.none())
        ids = members.values("pk")
    if scope.store:
        buyers = Order.objects.filter(store=scope.store).values("customer_id")
        ids = buyers if ids is None else Order.objects.filter(
            store=scope.store, customer_id__in=ids).values("customer_id")
    return ids


def _responses_q(scope: Scope, window: Window, prefix: str = "") -> Q:
    """Completed responses in ``window`` within ``scope``, as a condition on ``prefix``."""
    p = prefix
    condition = Q(**{f"{p}status": Response.Status.COMPLETED,
                     f"{p}completed_at__gte": window.start, f"{p}completed_at__lt": window.end})
    if scope.survey_pk is not None:
        condition &= Q(**{f"{p}survey_id": scope.survey_pk})
    if scope.channel:
        condition &= Q(**{f"{p}channel": scope.channel})
    customers = _customers_in_scope(scope)
    if customers is not None:
        condition &= Q(**{f"{p}customer_id__in": customers})
    return condition


def score_questions(survey_pk: int | None = None) -> dict[str, Q]:
    """For each score type, a condition selecting its answer rows: (survey, question key)
    pairs read from every published version's definition (one small query)."""
    versions = SurveyVersion.objects.all()
    if survey_pk is not None:
        versions = versions.filter(survey_id=survey_pk)
    keys: dict[str, dict[int, set[str]]] = {t.value: {} for t in SCORE_TYPES}
    for survey_id, definition in versions.values_list("survey_id", "definition"):
        for question in (definition or {}).get("questions", []):
            kind = question.get("type") if isinstance(question, dict) else None
            if kind in keys:
                keys[kind].setdefault(survey_id, set()).add(str(question.get("key")))
    conditions = {}
    for kind, by_survey in keys.items():
        condition = Q(pk__in=[])
        for survey_id, names in sorted(by_survey.items()):
            condition |= Q(survey_id=survey_id, question__in=sorted(names))
        conditions[kind] = condition & Q(row="", number__isnull=False)
    return conditions


def _kind_case(questions: dict[str, Q]) -> SqlCase:
    return SqlCase(*[When(condition, then=Value(kind)) for kind, condition in questions.items()],
                 default=Value(""))


def score_counts(scope: Scope, windows: list[Window]) -> list[dict[str, list[int]]]:
    """For each window: score type → answers per scale point (``counts[i]`` = answers equal
    to the scale's lowest value + i). One grouped query over all windows."""
    questions = score_questions(scope.survey_pk)
    selected = Q(pk__in=[])
    for condition in questions.values():
        selected |= condition
    span = Window(min(w.start for w in windows), max(w.end for w in windows))
    slot = SqlCase(*[When(Q(response__completed_at__gte=w.start, response__completed_at__lt=w.end),
                        then=Value(i)) for i, w in enumerate(windows)],
                 default=Value(-1), output_field=IntegerField())
    rows = (Answer.objects.filter(selected, _responses_q(scope, span, "response__"))
            .annotate(kind=_kind_case(questions), slot=slot)
            .values_list("slot", "kind", "number").annotate(n=Count("pk")).order_by())
    out: list[dict[str, list[int]]] = [
        {t.value: [0] * (SCALES[t][1] - SCALES[t][0] + 1) for t in SCORE_TYPES}
        for _w in windows]
    for slot_index, kind, number, n in rows:
        if slot_index < 0 or kind not in out[slot_index]:
            continue
        low, high = SCALES[QuestionType(kind)]
        if low <= number <= high:
            out[slot_index][kind][number - low] += n
    return out


def score_trend(scope: Scope, window: Window, *, grain: str) -> list[dict[str, Any]]:
    """Per week or month of ``window``: NPS promoters/passives/detractors and the sum and
    count of CSAT and CES answers (one grouped query)."""
    questions = score_questions(scope.survey_pk)
    selected = Q(pk__in=[])
    for condition in questions.values():
        selected |= condition
    trunc = TruncMonth if grain == "month" else TruncWeek
    rows = (Answer.objects.filter(selected, _responses_q(scope, window, "response__"))
            .annotate(kind=_kind_case(questions), bucket=trunc("response__completed_at"))
            .values("bucket", "kind")
            .annotate(n=Count("pk"), total=Sum("number"),
                      high=Count("pk", filter=Q(number__gte=9)),
                      mid=Count("pk", filter=Q(number__gte=7, number__lte=8)))
            .order_by("bucket"))
    buckets: dict[date, dict[str, Any]] = {}
    for row in rows:
        bucket = row["bucket"]
        day = timezone.localtime(bucket).date() if isinstance(bucket, datetime) else bucket
        entry = buckets.setdefault(day, {"start": day})
        entry[row["kind"]] = {"n": row["n"], "sum": row["total"] or 0,
                              "promoters": row["high"], "passives": row["mid"]}
    return [buckets[k] for k in sorted(buckets)]


def invitation_counts(scope: Scope, window: Window) -> tuple[int, int]:
    """(invitations sent in ``window`` within scope, of them those answered in full).

    Invitations that rules blocked or that failed to send do not count."""
    invitations = (Invitation.objects.filter(created_at__gte=window.start,
                                             created_at__lt=window.end)
                   .exclude(status__in=[Invitation.Status.BLOCKED, Invitation.Status.FAILED]))
    if scope.survey_pk is not None:
        invitations = invitations.filter(survey_id=scope.survey_pk)
    if scope.channel:
        invitations = invitations.filter(channel=scope.channel)
    customers = _customers_in_scope(scope)
    if customers is not None:
        invitations = invitations.filter(customer_id__in=customers)
    totals = invitations.aggregate(
        invited=Count("pk"),
        answered=Count("pk", filter=Q(response__status=Response.Status.COMPLETED)))
    return totals["invited"] or 0, totals["answered"] or 0


def theme_counts(scope: Scope, window: Window) -> dict[str, tuple[int, int]]:
    """theme → (negative mentions, all mentions) in survey answers completed and feedback
    items written in ``window``. A survey scope counts that survey's answers only."""
    from_answers = Q(analysis__response__isnull=False) & _responses_q(
        scope, window, "analysis__response__")
    customers = _customers_in_scope(scope)
    if scope.survey_pk is None:
        item = Q(analysis__feedback_item__occurred_at__gte=window.start,
                 analysis__feedback_item__occurred_at__lt=window.end)
        if scope.channel:
            item &= Q(analysis__feedback_item__channel=scope.channel)
        if customers is not None:
            item &= Q(analysis__feedback_item__customer_id__in=customers)
        condition = from_answers | item
    else:
        condition = from_answers
    rows = (ThemeMention.objects.filter(condition).values_list("theme")
            .annotate(neg=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)), n=Count("pk"))
            .order_by())
    return {theme: (neg, n) for theme, neg, n in rows}


@dataclass(frozen=True)
class CaseFigures:
    open_now: int
    overdue_now: int
    opened: int  # in the window
    resolved: int  # in the window
    breached: int  # opened in the window and resolved late or still open past due


def case_figures(scope: Scope, window: Window, *, now: datetime | None = None) -> CaseFigures:
    """Open and overdue cases now; cases opened and resolved in the window and SLA breaches
    among those opened (one aggregate over the case inbox's queryset)."""
    now = now or timezone.now()
    cases = case_selectors.list_cases()
    if scope.survey_pk is not None:
        cases = cases.filter(response__survey_id=scope.survey_pk)
    if scope.channel:
        cases = cases.filter(response__channel=scope.channel)
    customers = _customers_in_scope(scope)
    if customers is not None:
        cases = cases.filter(customer_id__in=customers)
    active = Q(status__in=OPEN_STATUSES)
    opened = Q(created_at__gte=window.start, created_at__lt=window.end)
    totals = cases.order_by().aggregate(
        open_now=Count("pk", filter=active),
        overdue_now=Count("pk", filter=active & Q(due_at__lt=now)),
        opened=Count("pk", filter=opened),
        resolved=Count("pk", filter=Q(resolved_at__gte=window.start,
                                      resolved_at__lt=window.end)),
        breached=Count("pk", filter=opened & (
            Q(resolved_at__isnull=False, resolved_at__gt=F("due_at"))
            | Q(resolved_at__isnull=True, due_at__lt=now) & active)),
    )
    return CaseFigures(**{k: v or 0 for k, v in totals.items()})


@dataclass(frozen=True)
class LoyaltyFigures:
    members: int
    new_members: int
    earned: int
    redeemed: int
    outstanding: int


def loyalty_figures(scope: Scope, window: Window) -> LoyaltyFigures | None:
    """Members of the default programme, new members, points earned and redeemed in the
    window; None without a programme."""
    program = loyalty_selectors.find_default_program()
    if program is None:
        return None
    accounts = Account.objects.filter(program=program)
    entries = Entry.objects.filter(program=program, at__gte=window.start, at__lt=window.end)
    customers = _customers_in_scope(scope)
    if customers is not None:
        accounts = accounts.filter(customer_id__in=customers)
        entries = entries.filter(account__customer_id__in=customers)
    members = accounts.aggregate(
        members=Count("pk"), outstanding=Sum("balance"),
        new=Count("pk", filter=Q(created_at__gte=window.start, created_at__lt=window.end)))
    sums = entries.aggregate(earned=Sum("lot__points"),
                             redeemed=Sum("amount", filter=Q(kind=EntryKind.REDEEM)))
    return LoyaltyFigures(members=members["members"] or 0, new_members=members["new"] or 0,
                          earned=sums["earned"] or 0, redeemed=sums["redeemed"] or 0,
                          outstanding=members["outstanding"] or 0)


def repeat_purchase(scope: Scope, window: Window) -> tuple[int, int]:
    """(customers who ordered in the window, of them those who had ordered before).

    Cancelled and refunded orders do not count (as in cohort retention). With a
    store scope, only orders at that store count."""
    orders = Order.objects.exclude(status__in=retention.EXCLUDED)
    if scope.store:
        orders = orders.filter(store=scope.store)
    if scope.segment_pk is not None:
        segment_only = _customers_in_scope(Scope(segment_pk=scope.segment_pk))
        orders = orders.filter(customer_id__in=segment_only)
    buyers = orders.filter(ordered_at__gte=window.start, ordered_at__lt=window.end)
    earlier = orders.filter(customer_id=OuterRef("customer_id"), ordered_at__lt=window.start)
    totals = (buyers.values("customer_id").order_by().distinct()
              .aggregate(n=Count("customer_id", distinct=True)))
    repeaters = (buyers.filter(Exists(earlier)).order_by()
                 .aggregate(n=Count("customer_id", distinct=True)))
    return totals["n"] or 0, repeaters["n"] or 0


def lapsed_share(*, now: datetime | None = None) -> retention.ChurnMonth | None:
    """This month's churn figure from segments' churn-over-time (one aggregate)."""
    months = retention.churn_over_time(months=1, now=now)
    return months[-1] if months else None


def survey_choices() -> list[tuple[int, str]]:
    return list(Survey.objects.exclude(status=Survey.Status.DRAFT).order_by("name")
                .values_list("pk", "name"))


def store_choices(limit: int = 200) -> list[str]:
    return list(Order.objects.exclude(store="").order_by("store").values_list("store", flat=True)
                .distinct()[:limit])


def segment_choices() -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in segment_selectors.list_segments()]
