"""The key-drivers page of a survey (thin: parse filters, call the selector, render).

Bars are CSS widths with their numbers as text: no chart library, nothing from a CDN.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangol.surveys import drivers as selectors
from dangol.surveys.definition import localized
from dangol.surveys.views import results as results_views
from dangol.web.decorators import permission_required


@login_required
@permission_required("surveys.view")
def survey_drivers_page(request: HttpRequest, pk: int) -> HttpResponse:
    survey = results_views._survey(pk)
    filters = results_views._filters(request, survey)
    # Drivers explain the spread of the score; keeping one NPS group would remove it.
    flt = replace(filters.flt, nps_category="")
    language = results_views._language()
    report = selectors.survey_drivers(survey, language=language, flt=flt)
    widest = max((row.driver.share_interval.high for row in report.attribute_rows),
                 default=0.0) or 1.0
    theme_widest = max((abs(row.driver.impact_interval.high) for row in report.theme_rows),
                       default=0.0) or 1.0
    return render(request, "surveys/results/drivers.html", {
        "nav_current": "surveys", "survey": survey, "filters": filters,
        "query": filters.query(request), "report": report,
        "title": localized(survey.title, language, survey.default_language) or survey.name,
        "attributes": [(row, _bar(row.driver.share, row.driver.share_interval.low,
                                   row.driver.share_interval.high, widest))
                       for row in report.attribute_rows],
        "themes": [(row, _bar(row.driver.impact, row.driver.impact_interval.low,
                              row.driver.impact_interval.high, theme_widest))
                   for row in report.theme_rows],
    })


def _bar(value: float, low: float, high: float, widest: float) -> dict[str, str]:
    """CSS percentages of a bar and of its interval's whisker, on a track ``widest`` long."""
    def percent(x: float) -> float:
        return min(max(100.0 * x / widest, 0.0), 100.0)

    return {"width": f"{percent(value):.1f}", "low": f"{percent(low):.1f}",
            "span": f"{max(percent(high) - percent(low), 0.0):.1f}"}
