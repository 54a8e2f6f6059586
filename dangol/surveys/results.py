"""Survey results: scores with honest intervals, distributions and response rates.

Counting happens in SQL (one grouped query over the answer rows of completed
responses); the statistics come from ``dangol.stats.survey`` and use only the
counts. Answers from every version and language of a survey count together,
matched by question key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.stats import survey as survey_stats
from dangol.stats.errors import NotEnoughDataError
from dangol.surveys.definition import Definition, Question, QuestionType, localized
from dangol.surveys.models import Answer, Invitation, Response, Survey


@dataclass(frozen=True)
class ResultFilter:
    since: date | None = None
    until: date | None = None
    language: str = ""
    channel: str = ""
    version: int | None = None

    def responses(self, survey: Survey) -> QuerySet[Response]:
        qs = Response.objects.filter(survey=survey, status=Response.Status.COMPLETED)
        if self.since:
            qs = qs.filter(completed_at__gte=_start_of(self.since))
        if self.until:
            qs = qs.filter(completed_at__lt=_start_of(self.until + timedelta(days=1)))
        if self.language:
            qs = qs.filter(language=self.language)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.version:
            qs = qs.filter(version__number=self.version)
        return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Bar:
    label: str
    count: int
    share: float


@dataclass
class QuestionResult:
    key: str
    type: str
    text: str
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    nps: survey_stats.NPSResult | None = None
    scale: survey_stats.ScaleSummary | None = None
    rows: list[tuple[str, survey_stats.ScaleSummary | None]] = field(default_factory=list)


@dataclass
class SurveyResults:
    completed: int
    partial: int
    invited: int
    response_rate: float | None
    by_version: list[tuple[int, int]]
    by_language: list[tuple[str, int]]
    questions: list[QuestionResult]

    @property
    def headline(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.nps or q.scale), None)


def survey_results(survey: Survey, *, language: str, flt: ResultFilter | None = None,
                   definition: Definition | None = None) -> SurveyResults:
    """Results of ``survey`` (texts in ``language``), for the responses ``flt`` selects."""
    flt = flt or ResultFilter()
    responses = flt.responses(survey)
    if definition is None:
        version = survey.current_version
        definition = Definition.model_validate(version.definition if version else
                                               survey.draft or {"questions": []})
    completed = responses.count()
    partial = Response.objects.filter(survey=survey, status=Response.Status.PARTIAL).count()
    invited = Invitation.objects.filter(survey=survey).exclude(
        status__in=[Invitation.Status.BLOCKED, Invitation.Status.FAILED]).count()
    invited_completed = responses.filter(invitation__isnull=False).count()
    counts = _answer_counts(responses)
    fallback = survey.default_language
    questions = [_question_result(q, counts.get(q.key, {}), language, fallback)
                 for q in definition.questions]
    return SurveyResults(
        completed=completed, partial=partial, invited=invited,
        response_rate=(invited_completed / invited) if invited else None,
        by_version=list(responses.values_list("version__number").annotate(n=Count("pk"))
                        .order_by("version__number")),
        by_language=list(responses.values_list("language").annotate(n=Count("pk"))
                         .order_by("language")),
        questions=questions,
    )


def _answer_counts(responses: QuerySet[Response]) -> dict[str, dict[tuple[str, Any], int]]:
    """question → {(row, number or choice): count} over the given responses."""
    rows = (Answer.objects.filter(response__in=responses)
            .filter(Q(number__isnull=False) | ~Q(choice=""))
            .values_list("question", "row", "number", "choice")
            .annotate(n=Count("pk")))
    counts: dict[str, dict[tuple[str, Any], int]] = {}
    for question, row, number, choice, n in rows:
        value = number if number is not None else choice
        counts.setdefault(question, {})[(row, value)] = n
    text_counts = (Answer.objects.filter(response__in=responses, number__isnull=True, choice="")
                   .exclude(text="").values_list("question").annotate(n=Count("pk")))
    for question, n in text_counts:
        counts.setdefault(question, {})[("", None)] = n
    return counts


def _question_result(question: Question, counts: dict[tuple[str, Any], int], language: str,
                     fallback: str) -> QuestionResult:
    result = QuestionResult(key=question.key, type=question.type.value,
                            text=localized(question.text, language, fallback))
    if question.type == QuestionType.TEXT:
        result.answered = counts.get(("", None), 0)
        return result
    if question.type == QuestionType.MATRIX:
        low, high = question.scale  # type: ignore[misc]
        for row in question.rows:
            tally = [counts.get((row.key, n), 0) for n in range(low, high + 1)]
            result.rows.append((localized(row.label, language, fallback),
                                _summary(tally, low)))
        result.answered = max((sum(s.n for _label, s in result.rows if s)), 0)
        return result
    if question.scale is not None:
        low, high = question.scale
        tally = [counts.get(("", n), 0) for n in range(low, high + 1)]
        result.answered = sum(tally)
        result.bars = _bars([(str(n), c) for n, c in zip(range(low, high + 1), tally,
                                                         strict=True)])
        if question.type == QuestionType.NPS and result.answered:
            result.nps = survey_stats.nps_from_counts(
                promoters=sum(tally[9:]), passives=sum(tally[7:9]), detractors=sum(tally[:7]))
        else:
            result.scale = _summary(tally, low)
        return result
    labels = [(localized(c.label, language, fallback), counts.get(("", c.key), 0))
              for c in question.choices]
    if question.allow_other:
        labels.append((_("Other"), counts.get(("", "other"), 0)))
    result.answered = sum(c for _label, c in labels) if question.type == QuestionType.SINGLE else 0
    result.bars = _bars(labels)
    return result


def _summary(tally: list[int], low: int) -> survey_stats.ScaleSummary | None:
    if sum(tally) == 0:
        return None
    try:
        return survey_stats.scale_summary_from_counts(tally, low=low)
    except NotEnoughDataError:
        return None


def _bars(items: list[tuple[str, int]]) -> list[Bar]:
    total = sum(c for _label, c in items) or 1
    return [Bar(label, count, count / total) for label, count in items]


# Listing responses and answers (the responses page, exports, text analysis) ----------

NPS_CATEGORIES = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


def find_survey(pk: int) -> Survey | None:
    return Survey.objects.select_related("current_version").filter(pk=pk).first()


def survey_definitions(survey: Survey) -> list[tuple[int, Definition]]:
    """Every published version's questions, newest version first."""
    return [(number, Definition.model_validate(definition))
            for number, definition in survey.versions.order_by("-number")
            .values_list("number", "definition")]


def headline_nps_key(survey: Survey) -> str | None:
    """Key of the first NPS question of the live version (else of the newest version)."""
    for _number, definition in survey_definitions(survey):
        for question in definition.questions:
            if question.type == QuestionType.NPS:
                return question.key
    return None


@dataclass(frozen=True)
class ResponseFilter(ResultFilter):
    """A :class:`ResultFilter` that also keeps one NPS group and a set of responses.

    ``nps_category`` is "promoter", "passive" or "detractor" of question
    ``nps_key``; ``only`` is a queryset of response ids (for example those
    whose comments mention a theme), or None for no such limit.
    """

    nps_category: str = ""
    nps_key: str | None = None
    only: Any = None

    def responses(self, survey: Survey) -> QuerySet[Response]:
        responses = super().responses(survey)
        if self.nps_category in NPS_CATEGORIES and self.nps_key:
            low, high = NPS_CATEGORIES[self.nps_category]
            responses = responses.filter(pk__in=Answer.objects.filter(
                survey=survey, question=self.nps_key, row="", number__gte=low,
                number__lte=high).values("response_id"))
        if self.only is not None:
            responses = responses.filter(pk__in=self.only)
        return responses


def text_answers(*, survey_pk: int | None = None,
                 response_pk: int | None = None) -> QuerySet[Answer]:
    """Answers holding free text (text questions and "other, please specify"), by pk."""
    answers = Answer.objects.exclude(text="").filter(response__status=Response.Status.COMPLETED)
    if survey_pk is not None:
        answers = answers.filter(survey_id=survey_pk)
    if response_pk is not None:
        answers = answers.filter(response_id=response_pk)
    return answers.order_by("pk")


def nps_trend(survey: Survey, key: str, *, flt: ResultFilter | None = None,
              months: int = 12) -> list[dict[str, Any]]:
    """NPS per calendar month (business time zone) with intervals, over the completed
    responses that ``flt`` selects (all of them by default)."""
    rows = (Answer.objects.filter(survey=survey, question=key, row="", number__isnull=False,
                                  response__in=(flt or ResultFilter()).responses(survey))
            .annotate(month=TruncMonth("response__completed_at"))
            .values("month")
            .annotate(pro=Count("pk", filter=Q(number__gte=9)),
                      pas=Count("pk", filter=Q(number__gte=7, number__lte=8)),
                      det=Count("pk", filter=Q(number__lte=6)))
            .order_by("-month")[:months])
    return [{"month": row["month"].strftime("%Y-%m"),
             "nps": survey_stats.nps_from_counts(promoters=row["pro"], passives=row["pas"],
                                                 detractors=row["det"])}
            for row in reversed(list(rows))]
