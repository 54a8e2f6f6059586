"""REST endpoint for a survey's key drivers (thin: parse, authorise, call the selector)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.surveys import drivers as selectors
from dangol.surveys.results import ResultFilter
from dangol.surveys.services import surveys as survey_services

router = Router(tags=["surveys"])


class DriverErrorOut(Schema):
    code: str
    message: str


class DriverIntervalOut(Schema):
    low: float
    high: float
    confidence: float


class OutcomeOut(Schema):
    key: str
    type: str
    text: str


class AttributeDriverOut(Schema):
    key: str
    question: str
    row: str
    text: str
    weight: float
    share: float
    interval: DriverIntervalOut
    share_interval: DriverIntervalOut
    correlation: float
    mean: float
    scale: list[int]
    performance: float
    quadrant: str


class AttributeDriversOut(Schema):
    n: int | None
    r_squared: float | None
    resamples: int | None
    problem: str | None
    problem_message: str | None
    needed: int | None
    left_out: list[str]
    items: list[AttributeDriverOut]


class ThemeDriverOut(Schema):
    theme: str
    label: str
    mentions: int
    share: float
    score: float
    rest_score: float
    gap: float
    gap_interval: DriverIntervalOut
    impact: float
    impact_interval: DriverIntervalOut


class ThemeCountOut(Schema):
    theme: str
    label: str
    mentions: int


class ThemeDriversOut(Schema):
    n: int
    scale: str
    overall: float
    items: list[ThemeDriverOut]
    too_few: list[ThemeCountOut]


class DriversOut(Schema):
    outcome: OutcomeOut | None
    responses: int
    attributes: AttributeDriversOut | None
    themes: ThemeDriversOut | None


@router.get("/{survey_id}/drivers", response={200: DriversOut, 404: DriverErrorOut})
def drivers(request: HttpRequest, survey_id: int, since: date | None = None,
            until: date | None = None, language: str = "", channel: str = "",
            version: int | None = None, text_language: str = "ko") -> dict[str, Any]:
    """Key drivers of the NPS (or CSAT): Johnson's relative weight of each rating with a
    bootstrap 95 % interval and its priority quadrant, and the NPS gap and impact of each
    theme that comments mention negatively. ``attributes.problem`` says why weights are
    missing (``too_few_responses``, ``no_attributes``, ``constant_outcome``)."""
    require(actor_from_request(request), "surveys.view")
    survey = survey_services.get_survey(pk=survey_id)
    report = selectors.survey_drivers(
        survey, language=text_language,
        flt=ResultFilter(since=since, until=until, language=language, channel=channel,
                         version=version))
    if report.outcome is None:
        return {"outcome": None, "responses": 0, "attributes": None, "themes": None}
    return {
        "outcome": {"key": report.outcome.question, "type": report.outcome_kind,
                    "text": report.outcome.label},
        "responses": report.responses,
        "attributes": _attributes_out(report),
        "themes": _themes_out(report),
    }


def _attributes_out(report: selectors.DriverReport) -> dict[str, Any]:
    found = report.attributes
    return {
        "n": found.n if found else None,
        "r_squared": found.r_squared if found else None,
        "resamples": found.resamples if found else None,
        "problem": report.attribute_problem_code or None,
        "problem_message": report.attribute_problem or None,
        "needed": report.needed,
        "left_out": [m.key for m in report.left_out],
        "items": [{
            "key": row.measure.key, "question": row.measure.question, "row": row.measure.row,
            "text": row.measure.label, "weight": row.driver.weight, "share": row.driver.share,
            "interval": row.driver.interval,
            "share_interval": row.driver.share_interval,
            "correlation": row.driver.correlation, "mean": row.driver.mean,
            "scale": [row.measure.low, row.measure.high], "performance": row.performance,
            "quadrant": row.quadrant.value,
        } for row in report.attribute_rows],
    }


def _themes_out(report: selectors.DriverReport) -> dict[str, Any] | None:
    found = report.themes
    if found is None:
        return None
    return {
        "n": found.n, "scale": found.scale, "overall": found.overall,
        "items": [{"theme": row.theme, "label": row.label, "mentions": row.driver.mentions,
                   "share": row.driver.share, "score": row.driver.score,
                   "rest_score": row.driver.rest_score, "gap": row.driver.gap,
                   "gap_interval": row.driver.gap_interval, "impact": row.driver.impact,
                   "impact_interval": row.driver.impact_interval}
                  for row in report.theme_rows],
        "too_few": [{"theme": name, "label": label, "mentions": n}
                    for name, label, n in report.too_few_themes],
    }
