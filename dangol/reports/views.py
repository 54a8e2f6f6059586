"""Pages of scheduled reports: the list, a schedule's form, its page with runs, PDFs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangol.accounts.actors import actor_from_request
from dangol.core.errors import DomainError, NotFound, ValidationFailed
from dangol.reports import selectors, services
from dangol.reports.forms import ScheduleForm
from dangol.reports.models import Frequency, ReportSchedule, Section, Weekday
from dangol.web.decorators import permission_required

VIEW, MANAGE = services.VIEW, services.MANAGE
RUNS_SHOWN = 100


def cadence_text(schedule: ReportSchedule) -> str:
    """"Every Monday at 09:00" in the active language."""
    hour = f"{schedule.hour:02d}:00"
    if schedule.frequency == Frequency.DAILY:
        return _("Every day at %(hour)s") % {"hour": hour}
    if schedule.frequency == Frequency.WEEKLY and schedule.weekday is not None:
        return _("Every %(weekday)s at %(hour)s") % {
            "weekday": Weekday(schedule.weekday).label, "hour": hour}
    if schedule.day_of_month == 31:
        return _("On the last day of every month at %(hour)s") % {"hour": hour}
    return _("On day %(day)s of every month at %(hour)s") % {
        "day": schedule.day_of_month, "hour": hour}


def _surveys() -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in selectors.survey_choices()]


def _schedule(pk: int) -> ReportSchedule:
    schedule = selectors.find_schedule(pk)
    if schedule is None:
        raise Http404(_("No such report schedule."))
    return schedule


def _pdf(content: bytes, filename: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@login_required
@permission_required(VIEW)
def schedule_list(request: HttpRequest) -> HttpResponse:
    schedules = list(selectors.list_schedules())
    rows = [{"s": s, "cadence": cadence_text(s)} for s in schedules]
    return render(request, "reports/list.html", {
        "nav_current": "reports", "rows": rows,
        "can_manage": request.user.has_perm(MANAGE)})


def _save(request: HttpRequest, schedule: ReportSchedule | None) -> HttpResponse:
    initial = ScheduleForm.initial_for(schedule) if schedule else {
        "recipients": getattr(request.user, "email", ""), "sections": Section.values}
    form = ScheduleForm(request.POST or None, initial=initial, surveys=_surveys())
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_schedule(actor=actor_from_request(request),
                                           data=form.to_input(),
                                           schedule_pk=schedule.pk if schedule else None)
        except ValidationFailed as error:
            for problem in error.problems:
                form.add_error(problem.field if problem.field in form.fields else None,
                               problem.message)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Report schedule saved."))
            return redirect("reports:detail", pk=saved.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "reports/form.html", {
        "nav_current": "reports", "form": form, "schedule": schedule}, status=status)


@login_required
@permission_required(MANAGE)
def schedule_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@login_required
@permission_required(MANAGE)
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, _schedule(pk))


@login_required
@permission_required(VIEW)
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(pk)
    runs = list(selectors.schedule_runs(schedule)[:RUNS_SHOWN])
    return render(request, "reports/detail.html", {
        "nav_current": "reports", "schedule": schedule, "cadence": cadence_text(schedule),
        "runs": runs, "period": services.latest_period(schedule), "zone": settings.TIME_ZONE,
        "section_labels": [Section(s).label for s in schedule.sections if s in Section.values],
        "can_manage": request.user.has_perm(MANAGE)})


@login_required
@permission_required(MANAGE)
@require_POST
def schedule_send(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = services.send_now(actor=actor_from_request(request), schedule_pk=pk)
    except NotFound as error:
        raise Http404(str(error.message)) from None
    messages.success(request, _("The report for %(start)s – %(end)s is being sent.") % {
        "start": run.period_start, "end": run.period.last_day})
    return redirect("reports:detail", pk=pk)


@login_required
@permission_required(MANAGE)
@require_POST
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.delete_schedule(actor=actor_from_request(request), schedule_pk=pk)
    except NotFound as error:
        raise Http404(str(error.message)) from None
    messages.success(request, _("Report schedule deleted."))
    return redirect("reports:list")


@login_required
@permission_required(VIEW)
def schedule_preview(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        schedule, period, content = services.preview_pdf(actor=actor_from_request(request),
                                                         schedule_pk=pk)
    except NotFound as error:
        raise Http404(str(error.message)) from None
    return _pdf(content, f"dangol-report-{schedule.pk}-{period.start:%Y%m%d}-preview.pdf",
                download=True)


@login_required
@permission_required(VIEW)
def run_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run, content = services.run_pdf(actor=actor_from_request(request), run_pk=pk)
    except NotFound as error:
        raise Http404(str(error.message)) from None
    return _pdf(content, run.pdf_path.rsplit("/", 1)[-1], download=True)
