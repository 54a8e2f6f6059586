"""Key drivers of a survey: which ratings and which themes move its NPS (or CSAT) most.

The outcome is the survey's first NPS question, or its first CSAT question when
it has no NPS question. Attributes are the other numeric questions: ratings,
CSAT, CES and each row of a matrix. One grouped query turns the answer rows of
the selected completed responses into one row per response (outcome and every
attribute, missing answers as ``nan``); the statistics come from
``dangol.stats.drivers``. Themes come from the feedback app: a response counts
for a theme when one of its comments mentions the theme negatively.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dangol.feedback import selectors as feedback
from dangol.stats import drivers as stats
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError
from dangol.surveys.definition import Definition, QuestionType, localized
from dangol.surveys.models import Answer, Response, Survey
from dangol.surveys.results import ResultFilter

ATTRIBUTE_TYPES = frozenset({QuestionType.RATING, QuestionType.CSAT, QuestionType.CES,
                             QuestionType.MATRIX})


@dataclass(frozen=True)
class Measure:
    """One numeric answer: a question, or one row of a matrix question."""

    question: str
    row: str
    label: str
    low: int
    high: int

    @property
    def key(self) -> str:
        return f"{self.question}.{self.row}" if self.row else self.question


@dataclass(frozen=True)
class AttributeRow:
    measure: Measure
    driver: stats.AttributeDriver
    performance: float  # mean rating on its scale as 0..1
    quadrant: stats.Quadrant

    @property
    def quadrant_label(self) -> str:
        return str(QUADRANT_LABELS[self.quadrant])


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    label: str
    driver: stats.ThemeDriver


@dataclass
class DriverReport:
    """What the drivers page and endpoint show.

    ``attribute_problem`` (with ``attribute_problem_code``) says why there
    are no attribute weights; ``left_out`` are attributes with one answer in
    every complete response.
    """

    outcome: Measure | None
    outcome_kind: str = ""
    responses: int = 0
    attributes: stats.AttributeDrivers | None = None
    attribute_rows: list[AttributeRow] = field(default_factory=list)
    attribute_problem: str = ""
    attribute_problem_code: str = ""
    needed: int | None = None
    left_out: list[Measure] = field(default_factory=list)
    themes: stats.ThemeDrivers | None = None
    theme_rows: list[ThemeRow] = field(default_factory=list)
    too_few_themes: list[tuple[str, str, int]] = field(default_factory=list)


QUADRANT_LABELS = {
    stats.Quadrant.FIX_FIRST: gettext_lazy("Fix first"),
    stats.Quadrant.KEEP_UP: gettext_lazy("Keep up"),
    stats.Quadrant.LOWER_PRIORITY: gettext_lazy("Lower priority"),
    stats.Quadrant.POSSIBLE_OVERKILL: gettext_lazy("Possible overkill"),
}


def survey_measures(survey: Survey, language: str) -> tuple[Measure | None, str, list[Measure]]:
    """(outcome, "nps" or "csat", attributes) of the survey's live questions."""
    version = survey.current_version
    definition = Definition.model_validate(version.definition if version else
                                           survey.draft or {"questions": []})
    fallback = survey.default_language
    outcome_question = next((q for q in definition.questions if q.type == QuestionType.NPS),
                            None)
    kind = "nps"
    if outcome_question is None:
        outcome_question = next(
            (q for q in definition.questions if q.type == QuestionType.CSAT), None)
        kind = "csat"
    if outcome_question is None:
        return None, "", []
    low, high = outcome_question.scale  # type: ignore[misc]
    outcome = Measure(outcome_question.key, "", localized(outcome_question.text, language,
                                                          fallback), low, high)
    attributes = []
    for question in definition.questions:
        if question.key == outcome.question or question.type not in ATTRIBUTE_TYPES:
            continue
        low, high = question.scale  # type: ignore[misc]
        text = localized(question.text, language, fallback)
        if question.type == QuestionType.MATRIX:
            attributes += [Measure(question.key, row.key,
                                   f"{text} — {localized(row.label, language, fallback)}",
                                   low, high) for row in question.rows]
        else:
            attributes.append(Measure(question.key, "", text, low, high))
    return outcome, kind, attributes


def _answer_table(survey: Survey, responses: QuerySet[Response],
                  measures: list[Measure]) -> tuple[list[int], np.ndarray]:
    """(response ids, one row per response: each measure's answer or nan), one query."""
    names = [f"m{i}" for i in range(len(measures))]
    rows = (Answer.objects
            .filter(survey=survey, response__in=responses.values("pk"),
                    question__in={m.question for m in measures}, number__isnull=False)
            .values("response_id")
            .annotate(**{name: Max("number", filter=Q(question=m.question, row=m.row))
                         for name, m in zip(names, measures, strict=True)})
            .order_by("response_id")
            .values_list("response_id", *names))
    found = list(rows)
    ids = [row[0] for row in found]
    table = np.array([row[1:] for row in found], dtype=np.float64).reshape(len(found),
                                                                          len(measures))
    return ids, table


def survey_drivers(survey: Survey, *, language: str,
                   flt: ResultFilter | None = None) -> DriverReport:
    """Attribute and theme drivers of ``survey`` over the completed responses ``flt`` selects."""
    outcome, kind, attributes = survey_measures(survey, language)
    if outcome is None:
        return DriverReport(outcome=None)
    responses = (flt or ResultFilter()).responses(survey)
    ids, table = _answer_table(survey, responses, [outcome, *attributes])
    answered = ~np.isnan(table[:, 0])
    report = DriverReport(outcome=outcome, outcome_kind=kind, responses=int(answered.sum()))
    _attribute_drivers(report, table, attributes)
    _theme_drivers(report, survey, language, np.asarray(ids)[answered], table[answered, 0])
    return report


def _attribute_drivers(report: DriverReport, table: np.ndarray,
                       attributes: list[Measure]) -> None:
    columns = dict(enumerate(attributes, start=1))
    while True:
        if not columns:
            if report.left_out:
                _problem(report, "no_attributes", _(
                    "Every attribute had the same answer in every response, so none can "
                    "explain the score."))
            else:
                _problem(report, "no_attributes", _(
                    "This survey has no rating, CSAT, CES or matrix question to explain the "
                    "score with."))
            return
        try:
            found = stats.attribute_drivers(
                table[:, 0], {m.key: table[:, i] for i, m in columns.items()})
        except stats.TooFewResponsesError as error:
            report.needed = error.needed
            _problem(report, "too_few_responses", ngettext(
                "Attribute drivers need at least %(needed)d responses that answered the score "
                "question and every rating; there is %(n)d so far.",
                "Attribute drivers need at least %(needed)d responses that answered the score "
                "question and every rating; there are %(n)d so far.",
                error.n) % {"needed": error.needed, "n": error.n})
            return
        except InvalidSummaryError as error:
            constant = next((i for i, m in columns.items() if m.key == error.column), None)
            if constant is None:
                _problem(report, "constant_outcome", _(
                    "Every response gave the same score, so nothing can explain it."))
                return
            report.left_out.append(columns.pop(constant))
            continue
        break
    by_key = {m.key: m for m in columns.values()}
    drivers = list(found.drivers)
    performance = [_on_unit_scale(d.mean, by_key[d.name]) for d in drivers]
    quadrants = stats.priority_quadrants([d.share for d in drivers], performance)
    report.attributes = found
    report.attribute_rows = [AttributeRow(by_key[d.name], d, p, q)
                             for d, p, q in zip(drivers, performance, quadrants, strict=True)]


def _on_unit_scale(mean: float, measure: Measure) -> float:
    """A mean rating as 0 (the lowest answer) to 1 (the highest), so scales compare."""
    return (mean - measure.low) / (measure.high - measure.low)


def _problem(report: DriverReport, code: str, message: str) -> None:
    report.attribute_problem_code = code
    report.attribute_problem = message


def _theme_drivers(report: DriverReport, survey: Survey, language: str, ids: np.ndarray,
                   scores: np.ndarray) -> None:
    if scores.size == 0 or report.outcome is None:
        return
    labels = feedback.theme_labels(language)
    counts = feedback.theme_sentiment_counts(survey_pk=survey.pk, response_pks=None,
                                             language=language)
    mentions = {}
    for count in counts:
        if not count.negative:
            continue
        matching = feedback.responses_matching(survey_pk=survey.pk, theme=count.theme,
                                               sentiment="negative")
        negative = [row["response_id"] for row in matching] if matching is not None else []
        mentions[count.theme] = np.isin(ids, negative)
    try:
        if report.outcome_kind == "nps":
            found = stats.theme_drivers(scores, mentions)
        else:
            found = stats.theme_drivers(scores, mentions, scale="mean",
                                        low=report.outcome.low, high=report.outcome.high)
    except NotEnoughDataError:
        return
    report.themes = found
    report.theme_rows = [ThemeRow(d.name, labels.get(d.name, d.name), d) for d in found.drivers]
    report.too_few_themes = [(name, labels.get(name, name), n) for name, n in found.too_few
                             if n > 0]
