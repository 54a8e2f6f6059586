"""Reads of the cases app: the inbox with its filters and counts, one case with its
history, the triggering answers, rules, and the recovery rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dangol import textkit
from dangol.accounts.models import User
from dangol.accounts.permissions import role_has
from dangol.cases.models import OPEN_STATUSES, Case, CaseEvent, CaseNote, CaseRule, Status
from dangol.feedback import selectors as feedback_selectors
from dangol.feedback.models import Sentiment
from dangol.surveys.definition import QuestionType, localized
from dangol.surveys.models import Answer, Response, SurveyVersion


@dataclass(frozen=True)
class CaseFilters:
    """``mine`` is the user whose cases to show; ``assignee`` a staff id."""

    mine: User | None = None
    unassigned: bool = False
    overdue: bool = False
    status: str = ""  # a Status value, "active" (new, open, pending) or "" (all)
    priority: str = ""
    assignee: int | None = None
    customer: int | None = None


def list_cases(filters: CaseFilters | None = None, *,
               now: datetime | None = None) -> QuerySet[Case]:
    filters = filters or CaseFilters()
    now = now or timezone.now()
    cases = Case.objects.select_related("customer", "assignee", "rule")
    if filters.mine is not None:
        cases = cases.filter(assignee=filters.mine)
    if filters.assignee is not None:
        cases = cases.filter(assignee_id=filters.assignee)
    if filters.unassigned:
        cases = cases.filter(assignee__isnull=True)
    if filters.overdue:
        cases = cases.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    if filters.status == "active":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.customer is not None:
        cases = cases.filter(customer_id=filters.customer)
    return cases


def inbox_counts(user: User, *, now: datetime | None = None) -> dict[str, int]:
    """Counts for the inbox's filters, in one query: open cases (new, open, pending)
    that are mine, unassigned, overdue; and cases per status."""
    now = now or timezone.now()
    active = Q(status__in=OPEN_STATUSES)
    counts = Case.objects.aggregate(
        active=Count("pk", filter=active),
        mine=Count("pk", filter=active & Q(assignee=user)),
        unassigned=Count("pk", filter=active & Q(assignee__isnull=True)),
        overdue=Count("pk", filter=active & Q(due_at__lt=now)),
        **{status.value: Count("pk", filter=Q(status=status.value)) for status in Status},
    )
    return {key: value or 0 for key, value in counts.items()}


def find_case(pk: int) -> Case | None:
    return (Case.objects.select_related("customer", "assignee", "rule", "response__survey",
                                        "response__version", "created_by", "followup_survey",
                                        "feedback_item")
            .filter(pk=pk).first())


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor_user").order_by("at", "pk")


def case_notes(case: Case) -> QuerySet[CaseNote]:
    return case.notes.select_related("author").order_by("created_at", "pk")


def case_workers() -> QuerySet[User]:
    """Active staff whose role may work cases (assignment choices)."""
    roles = [role for role in ("owner", "admin", "analyst", "marketer", "agent")
             if role_has(role, "cases.work")]
    return User.objects.filter(is_active=True, role__in=roles).order_by("name", "email")


def list_rules() -> QuerySet[CaseRule]:
    return (CaseRule.objects.select_related("default_assignee", "followup_survey")
            .prefetch_related("surveys")
            .annotate(case_count=Count("cases")).order_by("name", "pk"))


def find_rule(pk: int) -> CaseRule | None:
    return CaseRule.objects.prefetch_related("surveys").filter(pk=pk).first()


def count_open_cases(*, customer_pk: int) -> int:
    return Case.objects.filter(customer_id=customer_pk, status__in=OPEN_STATUSES).count()


@dataclass(frozen=True)
class AnswerLine:
    question: str
    value: str
    kind: str  # the question type
    sentiment: str = ""

    @property
    def sentiment_label(self) -> str:
        return str(Sentiment(self.sentiment).label) if self.sentiment else ""


def response_answers(response: Response, language: str) -> list[AnswerLine]:
    """The answers of the response that opened a case, as question and answer text.

    Written answers show their analysed (masked) text when there is one, else the
    text masked now: a case page never shows personal data the answer held.
    """
    definition = response.version.definition or {}
    fallback = response.survey.default_language
    texts = {a.question: a for a in Answer.objects.filter(response=response).exclude(text="")}
    analyses = feedback_selectors.analyses_by_answer(a.pk for a in texts.values())
    lines = []
    for question in definition.get("questions", []):
        key = question.get("key")
        if key not in response.answers:
            continue
        value = response.answers[key]
        label = localized(question.get("text"), language, fallback) or key
        qtype = question.get("type", "")
        sentiment = ""
        if qtype == QuestionType.TEXT:
            answer = texts.get(key)
            analysis = analyses.get(answer.pk) if answer else None
            shown = analysis.masked_text if analysis else textkit.mask_pii(str(value))
            sentiment = analysis.sentiment if analysis else ""
        else:
            shown = _value_text(question, value, language, fallback)
        lines.append(AnswerLine(label, shown, qtype, sentiment))
    return lines


def _value_text(question: dict[str, Any], value: Any, language: str, fallback: str) -> str:
    labels = {c.get("key"): localized(c.get("label"), language, fallback)
              for c in question.get("choices", [])}
    if isinstance(value, dict) and "choices" in value:
        parts = [str(labels.get(k, k)) for k in value["choices"]]
        if value.get("other"):
            parts.append(textkit.mask_pii(str(value["other"])))
        return ", ".join(parts)
    if isinstance(value, dict) and "choice" in value:
        if value.get("other"):
            return textkit.mask_pii(str(value["other"]))
        return str(labels.get(value["choice"], value["choice"]))
    if isinstance(value, dict):
        rows = {r.get("key"): localized(r.get("label"), language, fallback)
                for r in question.get("rows", [])}
        return ", ".join(f"{rows.get(k, k)} {v}" for k, v in value.items())
    return str(value)


# --- recovery rate ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """Resolved detractor cases, those whose customer answered NPS again after the
    resolution, and of those the ones who then answered 7 or more."""

    resolved: int
    answered_again: int
    recovered: int
    promoters: int

    @property
    def rate(self) -> float | None:
        return self.recovered / self.answered_again if self.answered_again else None


def _nps_questions() -> Q | None:
    """Answer rows of NPS questions in any published survey version (one row per version read)."""
    keys: dict[int, set[str]] = {}
    for survey_id, definition in SurveyVersion.objects.values_list("survey_id", "definition"):
        for question in (definition or {}).get("questions", []):
            if isinstance(question, dict) and question.get("type") == QuestionType.NPS:
                keys.setdefault(survey_id, set()).add(str(question.get("key")))
    if not keys:
        return None
    condition = Q(pk__in=[])
    for survey_id, names in sorted(keys.items()):
        condition |= Q(survey_id=survey_id, question__in=sorted(names))
    return condition & Q(row="", number__isnull=False)


def recovery_rate() -> Recovery:
    """The recovery rate, counted in SQL: of resolved (or closed) cases whose triggering
    response was an NPS detractor (0-6), the share whose customer's next NPS answer
    after the resolution was a passive or promoter (7-10)."""
    nps = _nps_questions()
    if nps is None:
        return Recovery(0, 0, 0, 0)
    detractor = Exists(Answer.objects.filter(nps, response=OuterRef("response"),
                                             number__lte=6))
    next_answer = (Answer.objects.filter(nps, response__customer=OuterRef("customer"),
                                         response__status=Response.Status.COMPLETED,
                                         response__completed_at__gt=OuterRef("resolved_at"))
                   .order_by("response__completed_at", "pk").values("number")[:1])
    cases = (Case.objects.filter(detractor, resolved_at__isnull=False, customer__isnull=False,
                                 status__in=[Status.RESOLVED, Status.CLOSED])
             .annotate(next_nps=Subquery(next_answer, output_field=IntegerField())))
    totals = cases.aggregate(
        resolved=Count("pk"),
        answered_again=Count("pk", filter=Q(next_nps__isnull=False)),
        recovered=Count("pk", filter=Q(next_nps__gte=7)),
        promoters=Count("pk", filter=Q(next_nps__gte=9)),
    )
    return Recovery(**{k: v or 0 for k, v in totals.items()})


