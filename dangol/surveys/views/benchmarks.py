"""Benchmark pages: the recorded figures, and each beside the business's own score.

The comparison chart is server-rendered SVG (intervals as lines, values as dots).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, ValidationFailed
from dangol.stats.benchmarks import RANGES
from dangol.surveys import benchmarks_selectors as selectors
from dangol.surveys import benchmarks_services as services
from dangol.surveys.benchmark_models import Benchmark
from dangol.web.decorators import permission_required


class BenchmarkForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Compared with"), choices=Benchmark.Kind.choices)
    competitor = forms.CharField(label=gettext_lazy("Competitor"), required=False,
                                 help_text=gettext_lazy("Leave empty for an industry figure."))
    metric = forms.ChoiceField(label=gettext_lazy("Metric"), choices=Benchmark.Metric.choices)
    value = forms.CharField(label=gettext_lazy("Value"))
    n = forms.CharField(label=gettext_lazy("Respondents (n)"), required=False,
                        help_text=gettext_lazy("If the source gives it: needed to test "
                                               "the difference."))
    ci_low = forms.CharField(label=gettext_lazy("Interval, low (95 percent)"), required=False)
    ci_high = forms.CharField(label=gettext_lazy("Interval, high (95 percent)"), required=False)
    period_start = forms.CharField(label=gettext_lazy("Period from"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.CharField(label=gettext_lazy("Period to"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.CharField(label=gettext_lazy("Source"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@permission_required("surveys.view")
def benchmark_list(request: HttpRequest) -> HttpResponse:
    form = BenchmarkForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("surveys.manage"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                services.record_benchmark(actor=actor_from_request(request),
                                          values=form.cleaned_data)
            except ValidationFailed as error:
                for problem in error.problems:
                    form.add_error(problem.field if problem.field in form.fields else None,
                                   str(problem.message))
            else:
                messages.success(request, _("Benchmark saved."))
                return redirect("surveys:benchmarks")
    rows = selectors.compare_benchmarks(list(selectors.list_benchmarks()))
    status = 422 if request.method == "POST" else 200
    return render(request, "surveys/benchmarks/list.html", {
        "nav_current": "surveys", "rows": rows, "form": form,
        "can_manage": request.user.has_perm("surveys.manage")}, status=status)


@login_required
@permission_required("surveys.manage")
@require_POST
def benchmark_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.delete_benchmark(actor=actor_from_request(request), benchmark_id=pk)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Benchmark deleted."))
    return redirect("surveys:benchmarks")


@login_required
@permission_required("surveys.view")
def benchmark_compare(request: HttpRequest) -> HttpResponse:
    metric = request.GET.get("metric", "") or Benchmark.Metric.NPS
    if metric not in Benchmark.Metric.values:
        metric = Benchmark.Metric.NPS
    rows = selectors.compare_benchmarks(list(selectors.list_benchmarks(metric=metric)))
    return render(request, "surveys/benchmarks/compare.html", {
        "nav_current": "surveys", "metric": metric, "metrics": Benchmark.Metric.choices,
        "metric_label": Benchmark.Metric(metric).label, "rows": rows,
        "chart": _chart(rows, metric)})


CHART_WIDTH, ROW_HEIGHT, LEFT, RIGHT = 640, 44, 180, 20


def _chart(rows: list[selectors.ComparisonRow], metric: str) -> dict[str, Any] | None:
    """Positions (SVG user units) of each row's benchmark and own score with intervals."""
    values: list[float] = []
    for row in rows:
        b = row.benchmark
        values.append(float(b.value))
        if b.ci_low is not None and b.ci_high is not None:
            values += [float(b.ci_low), float(b.ci_high)]
        if row.own is not None:
            values += [row.own.low, row.own.high]
    if not values:
        return None
    low_limit, high_limit = RANGES[metric]
    span = max(max(values) - min(values), 1e-9)
    low = max(min(values) - 0.1 * span, low_limit)
    high = min(max(values) + 0.1 * span, high_limit)
    if high - low < 1e-9:
        low, high = low_limit, high_limit

    def x(value: float) -> float:
        return round(LEFT + (CHART_WIDTH - LEFT - RIGHT) * (value - low) / (high - low), 1)

    items = []
    for number, row in enumerate(rows):
        b = row.benchmark
        y = 24 + number * ROW_HEIGHT
        items.append({
            "row": row, "y": y, "y_own": y + 14, "label_y": y + 10,
            "bench_x": x(float(b.value)),
            "bench_low": x(float(b.ci_low)) if b.ci_low is not None else None,
            "bench_high": x(float(b.ci_high)) if b.ci_high is not None else None,
            "own_x": x(row.own.value) if row.own else None,
            "own_low": x(row.own.low) if row.own else None,
            "own_high": x(row.own.high) if row.own else None,
        })
    ticks = [{"x": x(low + (high - low) * i / 4), "label": f"{low + (high - low) * i / 4:.1f}"}
             for i in range(5)]
    height = 24 + len(rows) * ROW_HEIGHT + 20
    return {"items": items, "ticks": ticks, "width": CHART_WIDTH, "height": height,
            "axis_y": height - 18, "left": LEFT}
