"""Pages: saved segments (list, builder with a live count, detail, export), retention and
scoring runs (list, detail, start now, resume)."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, NotFound, ValidationFailed
from dangol.segments import exports, selectors, services
from dangol.segments.forms import (
    BuilderState,
    apply_action,
    row_errors,
    state_from_data,
    state_from_definition,
)
from dangol.segments.models import ScoringRun, Segment
from dangol.segments.retention import churn_over_time, cohort_retention
from dangol.segments.rules import FIELDS, Group, describe, parse_definition
from dangol.web.decorators import permission_required

CHART_WIDTH, CHART_HEIGHT = 600, 180
SAMPLE_SIZE = 50
CHURN_DAYS = 180


def _chart_points(values: list[float | None]) -> str:
    """SVG polyline points for a share by month, drawn on the server (no JS, no CDN)."""
    step = CHART_WIDTH / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{CHART_HEIGHT * (1 - v):.1f}"
                    for i, v in enumerate(values) if v is not None)


@login_required
@permission_required("segments.view")
def retention(request: HttpRequest) -> HttpResponse:
    table = cohort_retention(months=12, cohorts=12)
    average = table.average_by_month()
    churn = churn_over_time(months=12, days=CHURN_DAYS)
    return render(request, "segments/retention.html", {
        "table": table, "average": average, "points": _chart_points(average),
        "chart_width": CHART_WIDTH, "chart_height": CHART_HEIGHT,
        "offsets": range(table.months), "nav_current": "retention",
        "churn": churn, "churn_points": _chart_points([m.share for m in churn]),
        "churn_days": CHURN_DAYS,
    })


# --- saved segments -----------------------------------------------------------------


def _get(pk: int) -> Segment:
    segment = selectors.find_segment(pk)
    if segment is None:
        raise Http404(_("No such segment."))
    return segment


def _describe(group: Group) -> list[Any]:
    """Rules in words; a group becomes a nested list with its match word."""
    out: list[Any] = []
    for item in group.rules:
        if isinstance(item, Group):
            out.append({"match": item.match, "rules": [describe(r) for r in item.rules
                                                       if not isinstance(r, Group)]})
        else:
            out.append(describe(item))
    return out


@login_required
@permission_required("segments.view")
def segment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "segments/list.html", {"segments": selectors.list_segments()})


def _builder(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    if request.method == "POST":
        state = state_from_data(request.POST)
        action = request.POST.get("action", "save")
    else:
        state = (state_from_definition(segment.definition, name=segment.name,
                                       description=segment.description)
                 if segment else BuilderState())
        action = "show"
    errors: list[Any] = []
    count: int | None = None
    if action == "save":
        try:
            actor = actor_from_request(request)
            if segment is None:
                saved = services.create_segment(actor=actor, name=state.name,
                                                description=state.description,
                                                definition=state.definition())
            else:
                saved = services.update_segment(actor=actor, segment_id=segment.pk,
                                                name=state.name,
                                                description=state.description,
                                                definition=state.definition())
        except ValidationFailed as error:
            errors = error.problems
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("segments:detail", pk=saved.pk)
    else:
        apply_action(state, action)
        count, errors = _count(state)
    by_row, other = row_errors([p for p in errors if p.field not in {"name", "description"}])
    if state.definition_json is not None:
        by_row, other = {}, [f"{p.field}: {p.message}" for p in errors
                             if p.field not in {"name", "description"}]
    suggestions = selectors.value_suggestions()
    for index, row in enumerate(state.rows):
        row.errors = by_row.get(index, [])
        row.suggestions = suggestions.get(row.field, [])
    context = {"segment": segment, "state": state, "fields": FIELDS.values(),
               "count": count, "errors": other,
               "field_errors": {p.field: p.message for p in errors}}
    template = "segments/_rules.html" if request.htmx else "segments/builder.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=422 if errors and action == "save" else 200)


def _count(state: BuilderState) -> tuple[int | None, list[Any]]:
    try:
        return selectors.count_preview(state.definition()), []
    except ValidationFailed as error:
        return None, [p for p in error.problems]


@login_required
@permission_required("segments.manage")
def segment_new(request: HttpRequest) -> HttpResponse:
    return _builder(request, None)


@login_required
@permission_required("segments.manage")
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _builder(request, _get(pk))


@login_required
@permission_required("segments.view")
@require_GET
def live_count(request: HttpRequest) -> HttpResponse:
    """The builder's count, fetched by htmx whenever a rule changes."""
    count, problems = _count(state_from_data(request.GET))
    by_row, other = row_errors(problems)
    return render(request, "segments/_count.html", {
        "count": count, "errors": other,
        "row_problems": sorted(by_row.items()),
    })


@login_required
@permission_required("segments.view")
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _get(pk)
    try:
        group = parse_definition(segment.definition)
    except ValidationFailed as error:
        group, problems = None, error.problems
    else:
        problems = []
    context: dict[str, Any] = {"segment": segment, "problems": problems}
    if group is not None:
        customers = selectors.customers_matching(group)
        context.update({
            "rules": _describe(group),
            "count": customers.count(),
            "sample": customers.order_by("-pk")[:SAMPLE_SIZE],
            "sample_size": SAMPLE_SIZE,
        })
    return render(request, "segments/detail.html", context)


@login_required
@permission_required("segments.manage")
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = _get(pk)
    services.delete_segment(actor=actor_from_request(request), segment_id=segment.pk)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("segments:list")


@login_required
@permission_required("segments.view")
@permission_required("customers.export")
def segment_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    segment = _get(pk)
    try:
        customers = selectors.segment_customers(segment)
    except ValidationFailed:
        raise Http404(_("This segment's rules are no longer valid; edit it first.")) from None
    services.record_export(actor=actor_from_request(request), segment=segment, fmt=fmt)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: Any  # a streamed CSV or a built XLSX
    if fmt == "csv":
        response = StreamingHttpResponse(exports.iter_csv(customers),
                                         content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        exports.write_xlsx(customers, response)
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}-{stamp}.{fmt}"'
    return cast(HttpResponse, response)  # the streamed CSV is no HttpResponse subclass


# --- scoring runs -----------------------------------------------------------------

RUNS_SHOWN = 50


@login_required
@permission_required("segments.view")
def scoring_runs(request: HttpRequest) -> HttpResponse:
    runs = [selectors.scoring_run_facts(run)
            for run in selectors.list_scoring_runs()[:RUNS_SHOWN]]
    return render(request, "segments/scoring_runs.html", {
        "runs": runs, "runs_shown": RUNS_SHOWN, "nightly": selectors.nightly_scoring_time(),
        "running": any(run["status"] == ScoringRun.Status.RUNNING for run in runs),
    })


@login_required
@permission_required("segments.view")
def scoring_run(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = selectors.get_scoring_run(pk)
    except DomainError:
        raise Http404(_("No such scoring run.")) from None
    facts = selectors.scoring_run_facts(run)
    models = [(_("Purchases and activity (BG/NBD)"), _model_table(facts["purchase_model"])),
              (_("Spend (Gamma-Gamma)"), _model_table(facts["spend_model"]))]
    context = {"run": facts, "chunks": selectors.scoring_run_chunks(run), "models": models,
               "models_fitted": any(table for _label, table in models)}
    template = ("segments/_scoring_run.html" if request.htmx  # type: ignore[attr-defined]
                else "segments/scoring_run.html")
    return render(request, template, context)


def _model_table(model: dict[str, Any] | None) -> dict[str, Any] | None:
    """A fitted model's parameters with their standard errors, for the run page."""
    if not model:
        return None
    errors = model.get("standard_errors") or {}
    return {"model": model.get("model", ""), "log_likelihood": model.get("log_likelihood"),
            "n_customers": model.get("n_customers", 0),
            "rows": [{"name": name, "value": value, "se": errors.get(name)}
                     for name, value in model.get("params", {}).items()]}


@login_required
@permission_required("segments.run_scoring")
@require_POST
def scoring_start(request: HttpRequest) -> HttpResponse:
    try:
        run = services.start_scoring(actor=actor_from_request(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("segments:scoring_runs")
    messages.success(request, _("Scoring run %(id)s queued for the workers.") % {"id": run.pk})
    return redirect("segments:scoring_run", pk=run.pk)


@login_required
@permission_required("segments.run_scoring")
@require_POST
def scoring_resume(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        _run, queued = services.resume_scoring(actor=actor_from_request(request), run_id=pk)
    except NotFound:
        raise Http404(_("No such scoring run.")) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext(
            "Run %(id)s resumed: %(n)d task queued again.",
            "Run %(id)s resumed: %(n)d tasks queued again.", queued) % {"id": pk, "n": queued})
    return redirect("segments:scoring_run", pk=pk)
