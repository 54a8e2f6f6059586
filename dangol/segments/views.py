from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangol.segments.retention import cohort_retention
from dangol.web.decorators import permission_required

CHART_WIDTH, CHART_HEIGHT = 600, 180


def _chart_points(values: list[float | None]) -> str:
    """SVG polyline points for retention by month, drawn on the server (no JS, no CDN)."""
    step = CHART_WIDTH / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{CHART_HEIGHT * (1 - v):.1f}"
                    for i, v in enumerate(values) if v is not None)


@login_required
@permission_required("segments.view")
def retention(request: HttpRequest) -> HttpResponse:
    table = cohort_retention(months=12, cohorts=12)
    average = table.average_by_month()
    return render(request, "segments/retention.html", {
        "table": table, "average": average, "points": _chart_points(average),
        "chart_width": CHART_WIDTH, "chart_height": CHART_HEIGHT,
        "offsets": range(table.months),
    })
