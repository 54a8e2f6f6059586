"""Survey results, responses and exports pages (thin: parse filters, call selectors, render).

Charts are drawn on the server (SVG and CSS bars with their numbers as text):
no JavaScript chart library, nothing from a CDN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from dangol import textkit
from dangol.core.errors import DomainError
from dangol.customers.selectors import paginate
from dangol.feedback import selectors as feedback
from dangol.feedback.models import Sentiment
from dangol.surveys import exports
from dangol.surveys import results as selectors
from dangol.surveys.definition import Definition, QuestionType, localized
from dangol.surveys.models import Response, Survey
from dangol.web.decorators import permission_required

PAGE_SIZE = 50
TREND_WIDTH, TREND_HEIGHT = 600, 200


@dataclass
class Filters:
    flt: selectors.ResponseFilter
    problems: list[str] = field(default_factory=list)

    def query(self, request: HttpRequest, *, drop: tuple[str, ...] = ()) -> str:
        """The filter part of the query string (for pager and export links)."""
        params = request.GET.copy()
        for name in ("cursor", *drop):
            params.pop(name, None)
        return params.urlencode()


def _language() -> str:
    return (get_language() or "ko")[:2]


def _survey(pk: int) -> Survey:
    survey = selectors.find_survey(pk)
    if survey is None:
        raise Http404(_("No such survey."))
    return survey


def _date(request: HttpRequest, name: str, label: str, problems: list[str]) -> date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(_("%(field)s: write the date as YYYY-MM-DD.") % {"field": label})
        return None


def _filters(request: HttpRequest, survey: Survey) -> Filters:
    """The page's GET filters; a value that cannot be read is named and left out."""
    problems: list[str] = []
    since = _date(request, "since", pgettext("date range", "From"), problems)
    until = _date(request, "until", pgettext("date range", "To"), problems)
    version_raw = request.GET.get("version", "").strip()
    version = None
    if version_raw:
        if version_raw.isdigit():
            version = int(version_raw)
        else:
            problems.append(_("%(field)s: choose a version number.") % {"field": _("Version")})
    category = request.GET.get("nps", "")
    sentiment = request.GET.get("sentiment", "")
    matching = feedback.responses_matching(
        survey_pk=survey.pk, theme=request.GET.get("theme", "")[:60],
        sentiment=sentiment if sentiment in Sentiment.values else "",
        contains=request.GET.get("q", "").strip()[:200])
    return Filters(
        flt=selectors.ResponseFilter(
            since=since, until=until, language=request.GET.get("language", "")[:8],
            channel=request.GET.get("channel", "")[:8], version=version,
            nps_category=category if category in selectors.NPS_CATEGORIES else "",
            nps_key=selectors.headline_nps_key(survey), only=matching),
        problems=problems,
    )


def _form_choices(survey: Survey, language: str) -> dict[str, Any]:
    return {
        "languages": survey.languages,
        "channels": Response.Channel.choices,
        "versions": list(survey.versions.order_by("number").values_list("number", flat=True)),
        "theme_choices": feedback.theme_choices(language),
        "sentiments": Sentiment.choices,
        "nps_categories": [("promoter", _("Promoters (9-10)")), ("passive", _("Passives (7-8)")),
                           ("detractor", _("Detractors (0-6)"))],
    }


def _y(score: float) -> float:
    return TREND_HEIGHT * (100 - score) / 200


def _trend_chart(trend: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Points of the NPS line and its 95 % band, in SVG units (−100 at the bottom)."""
    if not trend:
        return None
    step = TREND_WIDTH / max(len(trend) - 1, 1)
    xs = [i * step for i in range(len(trend))]
    line = " ".join(f"{x:.1f},{_y(t['nps'].score):.1f}" for x, t in zip(xs, trend, strict=True))
    upper = [f"{x:.1f},{_y(t['nps'].interval.high):.1f}" for x, t in zip(xs, trend, strict=True)]
    lower = [f"{x:.1f},{_y(t['nps'].interval.low):.1f}" for x, t in zip(xs, trend, strict=True)]
    points = [{"x": x, "y": _y(t["nps"].score), "month": t["month"], "nps": t["nps"]}
              for x, t in zip(xs, trend, strict=True)]
    return {"line": line, "band": " ".join(upper + lower[::-1]), "points": points,
            "width": TREND_WIDTH, "height": TREND_HEIGHT, "zero": _y(0)}


@login_required
@permission_required("surveys.view")
def survey_results_page(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    filters = _filters(request, survey)
    language = _language()
    results = selectors.survey_results(survey, language=language, flt=filters.flt)
    nps_key = selectors.headline_nps_key(survey)
    trend = selectors.nps_trend(survey, nps_key, flt=filters.flt) if nps_key else []
    selected = filters.flt.responses(survey).values("pk")
    themes = feedback.theme_sentiment_counts(survey_pk=survey.pk, response_pks=selected,
                                             language=language)
    return render(request, "surveys/results/results.html", {
        "nav_current": "surveys", "survey": survey, "filters": filters,
        "query": filters.query(request), "results": results,
        "theme_query": filters.query(request, drop=("theme", "sentiment")),
        "title": localized(survey.title, language, survey.default_language) or survey.name,
        "headline": results.headline, "trend": _trend_chart(trend),
        "themes": themes, "theme_widest": max((t.total for t in themes), default=0) or 1,
        **_form_choices(survey, language),
    })


@dataclass
class TextAnswer:
    question: str
    masked: str
    sentiment: str = ""
    themes: list[tuple[str, str, str]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    @property
    def sentiment_label(self) -> str:
        return str(Sentiment(self.sentiment).label) if self.sentiment else ""


@dataclass
class ResponseRow:
    response: Response
    nps: int | None
    texts: list[TextAnswer]
    others: list[tuple[str, str]]


def _definitions(survey: Survey) -> dict[int, Definition]:
    return dict(selectors.survey_definitions(survey))


def _value_text(question: Any, value: Any, language: str, fallback: str) -> str:
    """A non-text answer as short readable text (choice labels in ``language``)."""
    if question is None:
        return str(value)
    labels = {c.key: localized(c.label, language, fallback) for c in question.choices}
    labels["other"] = _("Other")
    if question.type == QuestionType.MATRIX and isinstance(value, dict):
        rows = {r.key: localized(r.label, language, fallback) for r in question.rows}
        return ", ".join(f"{rows.get(k, k)} {v}" for k, v in value.items())
    if isinstance(value, dict) and "choices" in value:
        return ", ".join(labels.get(k, k) for k in value["choices"])
    if isinstance(value, dict) and "choice" in value:
        return str(labels.get(value["choice"], value["choice"]))
    return str(value)


def _rows(survey: Survey, responses: list[Response], language: str) -> list[ResponseRow]:
    definitions = _definitions(survey)
    nps_key = selectors.headline_nps_key(survey)
    fallback = survey.default_language
    answers = list(selectors.text_answers(survey_pk=survey.pk)
                   .filter(response_id__in=[r.pk for r in responses]))
    analyses = feedback.analyses_by_answer(a.pk for a in answers)
    version_of = {r.pk: r.version.number for r in responses}
    theme_labels = feedback.theme_labels(language)
    texts: dict[int, list[TextAnswer]] = {}
    for answer in answers:
        definition = definitions.get(version_of[answer.response_id])
        question = definition.question(answer.question) if definition else None
        label = localized(question.text, language, fallback) if question else answer.question
        if answer.choice:
            label = f"{label} ({_('Other')})"
        analysis = analyses.get(answer.pk)
        if analysis is None:
            texts.setdefault(answer.response_id, []).append(
                TextAnswer(label, textkit.mask_pii(answer.text)))
            continue
        texts.setdefault(answer.response_id, []).append(TextAnswer(
            label, analysis.masked_text, analysis.sentiment,
            [(theme_labels.get(t.theme, t.theme), t.sentiment, t.get_sentiment_display())
             for t in analysis.themes.all()],
            list(analysis.keywords)))
    rows = []
    for response in responses:
        definition = definitions.get(response.version.number)
        others = []
        for key, value in response.answers.items():
            question = definition.question(key) if definition else None
            if key == nps_key or (question and question.type == QuestionType.TEXT):
                continue
            label = localized(question.text, language, fallback) if question else key
            others.append((label, _value_text(question, value, language, fallback)))
        nps = response.answers.get(nps_key) if nps_key else None
        rows.append(ResponseRow(response, nps if isinstance(nps, int) else None,
                                texts.get(response.pk, []), others))
    return rows


@login_required
@permission_required("surveys.view")
def survey_responses_page(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(pk)
    filters = _filters(request, survey)
    language = _language()
    responses = filters.flt.responses(survey).select_related("version", "customer")
    try:
        page = paginate(responses, cursor=request.GET.get("cursor"), limit=PAGE_SIZE,
                        newest_first=True)
    except DomainError:
        raise Http404(_("This page of results no longer exists.")) from None
    return render(request, "surveys/results/responses.html", {
        "nav_current": "surveys", "survey": survey, "filters": filters,
        "query": filters.query(request), "page": page,
        "rows": _rows(survey, page.items, language),
        **_form_choices(survey, language),
    })


@login_required
@permission_required("surveys.view")
def survey_response_page(request: HttpRequest, pk: int, response_pk: int) -> HttpResponse:
    survey = _survey(pk)
    response = (selectors.ResultFilter().responses(survey).select_related("version", "customer")
                .filter(pk=response_pk).first())
    if response is None:
        raise Http404(_("No such response."))
    language = _language()
    row = _rows(survey, [response], language)[0]
    definition = _definitions(survey).get(response.version.number)
    fallback = survey.default_language
    answered = []
    for question in definition.questions if definition else []:
        if question.key not in response.answers or question.type == QuestionType.TEXT:
            continue
        answered.append((localized(question.text, language, fallback),
                         _value_text(question, response.answers[question.key], language,
                                     fallback)))
    return render(request, "surveys/results/response.html", {
        "nav_current": "surveys", "survey": survey, "response": response, "row": row,
        "answered": answered,
    })


@login_required
@permission_required("surveys.view")
def survey_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    survey = _survey(pk)
    responses = _filters(request, survey).flt.responses(survey)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(exports.iter_csv(survey, responses),
                                         content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        exports.write_xlsx(survey, responses, response)  # type: ignore[arg-type]
    response["Content-Disposition"] = (
        f'attachment; filename="survey-{survey.pk}-responses-{stamp}.{fmt}"')
    return response  # type: ignore[return-value]
