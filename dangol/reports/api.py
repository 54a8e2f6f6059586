"""REST endpoints of the reports app (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.reports import selectors, services
from dangol.reports.models import ReportSchedule
from dangol.reports.schemas import RunOut, ScheduleIn, ScheduleOut, SchedulePatch

router = Router(tags=["reports"])
PDF_SCHEMA = {"schema": {"type": "string", "format": "binary"}}


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


def _input(schedule: ReportSchedule | None, values: dict[str, Any]) -> services.ScheduleInput:
    data = services.ScheduleInput()
    if schedule is not None:
        data = services.ScheduleInput(
            name=schedule.name, sections=list(schedule.sections), survey_pk=schedule.survey_id,
            frequency=schedule.frequency, weekday=schedule.weekday,
            day_of_month=schedule.day_of_month, hour=schedule.hour,
            language=schedule.language, recipients=list(schedule.recipients),
            active=schedule.active)
    for name, value in values.items():
        setattr(data, "survey_pk" if name == "survey_id" else name, value)
    return data


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get("/schedules", response={200: list[ScheduleOut], 403: ErrorOut})
def list_schedules(request: HttpRequest) -> Any:
    """Every report schedule, by name."""
    require(actor_from_request(request), services.VIEW)
    return list(selectors.list_schedules())


@router.post("/schedules", response={201: ScheduleOut, 403: ErrorOut, 422: ErrorOut})
def create_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[Any]:
    """A new schedule; its first run time is computed (``next_run_at``)."""
    schedule = services.save_schedule(actor=actor_from_request(request),
                                      data=_input(None, payload.model_dump()))
    return Status(201, selectors.find_schedule(schedule.pk))


@router.get("/schedules/{schedule_id}", response={200: ScheduleOut, 403: ErrorOut,
                                                   404: ErrorOut})
def get_schedule(request: HttpRequest, schedule_id: int) -> Any:
    return services.get_schedule(actor=actor_from_request(request), schedule_pk=schedule_id)


@router.put("/schedules/{schedule_id}", response={200: ScheduleOut, 403: ErrorOut,
                                                   404: ErrorOut, 422: ErrorOut})
def replace_schedule(request: HttpRequest, schedule_id: int, payload: ScheduleIn) -> Any:
    actor = actor_from_request(request)
    services.save_schedule(actor=actor, data=_input(None, payload.model_dump()),
                           schedule_pk=schedule_id)
    return selectors.find_schedule(schedule_id)


@router.patch("/schedules/{schedule_id}", response={200: ScheduleOut, 403: ErrorOut,
                                                     404: ErrorOut, 422: ErrorOut})
def change_schedule(request: HttpRequest, schedule_id: int, payload: SchedulePatch) -> Any:
    """Change the fields sent; the others keep their values."""
    actor = actor_from_request(request)
    schedule = services.get_schedule(actor=actor, schedule_pk=schedule_id)
    services.save_schedule(actor=actor, schedule_pk=schedule_id,
                           data=_input(schedule, payload.model_dump(exclude_unset=True)))
    return selectors.find_schedule(schedule_id)


@router.delete("/schedules/{schedule_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_schedule(request: HttpRequest, schedule_id: int) -> Status[None]:
    services.delete_schedule(actor=actor_from_request(request), schedule_pk=schedule_id)
    return Status(204, None)


@router.get("/schedules/{schedule_id}/runs", response={200: list[RunOut], 403: ErrorOut,
                                                        404: ErrorOut})
def list_runs(request: HttpRequest, schedule_id: int, limit: int = 100) -> Any:
    """The schedule's runs, newest first."""
    schedule = services.get_schedule(actor=actor_from_request(request),
                                     schedule_pk=schedule_id)
    return list(selectors.schedule_runs(schedule)[:max(1, min(limit, 1000))])


@router.post("/schedules/{schedule_id}/send", response={202: RunOut, 403: ErrorOut,
                                                         404: ErrorOut})
def send_now(request: HttpRequest, schedule_id: int) -> Status[Any]:
    """Send the report of the last complete period now (a run besides the schedule's)."""
    run = services.send_now(actor=actor_from_request(request), schedule_pk=schedule_id)
    return Status(202, selectors.find_run(run.pk))


@router.get("/schedules/{schedule_id}/preview.pdf",
            response={403: ErrorOut, 404: ErrorOut},
            openapi_extra={"responses": {200: {
                "description": "The report of the last complete period",
                "content": {"application/pdf": PDF_SCHEMA}}}})
def preview(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """The report of the last complete period as a PDF, made now (not sent, not stored)."""
    schedule, period, content = services.preview_pdf(actor=actor_from_request(request),
                                                     schedule_pk=schedule_id)
    return _pdf(content, f"dangol-report-{schedule.pk}-{period.start:%Y%m%d}-preview.pdf")


@router.get("/runs/{run_id}/report.pdf", response={403: ErrorOut, 404: ErrorOut},
            openapi_extra={"responses": {200: {"description": "The PDF that was sent",
                                                 "content": {"application/pdf": PDF_SCHEMA}}}})
def run_pdf(request: HttpRequest, run_id: int) -> HttpResponse:
    """The PDF a run made and sent."""
    run, content = services.run_pdf(actor=actor_from_request(request), run_pk=run_id)
    return _pdf(content, run.pdf_path.rsplit("/", 1)[-1])
