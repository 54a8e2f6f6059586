"""Writes of the reports app: schedules and "send now".

Starting runs when they are due is in :mod:`dangol.reports.dispatch`, sending a run
(PDF, e-mail, retries) in :mod:`dangol.reports.delivery`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.reports import delivery, selectors, timing
from dangol.reports.models import (
    Frequency,
    Language,
    ReportRun,
    ReportSchedule,
    Section,
    Trigger,
)
from dangol.reports.tasks import send_report_run_task
from dangol.surveys.models import Survey

VIEW = "reports.view"
MANAGE = "reports.manage"
MAX_RECIPIENTS = 50
FIELDS = ["name", "sections", "survey", "frequency", "weekday", "day_of_month", "hour",
          "language", "recipients", "active"]


@dataclass
class ScheduleInput:
    name: str = ""
    sections: list[str] = field(default_factory=lambda: list(Section.values))
    survey_pk: int | None = None
    frequency: str = Frequency.WEEKLY
    weekday: int | None = None
    day_of_month: int | None = None
    hour: int = 9
    language: str = Language.KO
    recipients: list[str] = field(default_factory=list)
    active: bool = True


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines."""
    for separator in ",;\n\r\t":
        text = text.replace(separator, " ")
    return [part for part in text.split(" ") if part]


def check_schedule(data: ScheduleInput) -> list[FieldProblem]:
    """Every problem of ``data``, each naming its field."""
    problems = []
    if not data.name.strip():
        problems.append(FieldProblem("name", _("Give the report a name.")))
    elif len(data.name.strip()) > 100:
        problems.append(FieldProblem("name", _("At most 100 characters.")))
    unknown = [s for s in data.sections if s not in Section.values]
    if unknown:
        problems.append(FieldProblem("sections", _("Unknown sections: %(unknown)s (known: "
                                                   "%(sections)s).")
                                     % {"unknown": ", ".join(unknown),
                                        "sections": ", ".join(Section.values)}))
    elif not data.sections:
        problems.append(FieldProblem("sections", _("Choose at least one section.")))
    if data.survey_pk is not None and not Survey.objects.filter(pk=data.survey_pk).exists():
        problems.append(FieldProblem("survey", _("No survey with ID %(id)s.")
                                     % {"id": data.survey_pk}))
    if data.frequency not in Frequency.values:
        problems.append(FieldProblem("frequency", _("Choose daily, weekly or monthly.")))
    if data.frequency == Frequency.WEEKLY and (data.weekday is None
                                               or not 0 <= data.weekday <= 6):
        problems.append(FieldProblem("weekday", _("Choose the weekday (0 = Monday … "
                                                  "6 = Sunday).")))
    if data.frequency == Frequency.MONTHLY and (data.day_of_month is None
                                                or not 1 <= data.day_of_month <= 31):
        problems.append(FieldProblem("day_of_month", _("Choose a day from 1 to 31 (31: the "
                                                       "last day of every month).")))
    if not 0 <= data.hour <= 23:
        problems.append(FieldProblem("hour", _("Choose an hour from 0 to 23.")))
    if data.language not in Language.values:
        problems.append(FieldProblem("language", _("Choose Korean (ko) or English (en).")))
    if not data.recipients:
        problems.append(FieldProblem("recipients", _("Add at least one e-mail address.")))
    elif len(data.recipients) > MAX_RECIPIENTS:
        problems.append(FieldProblem("recipients", _("At most %(n)s addresses.")
                                     % {"n": MAX_RECIPIENTS}))
    else:
        bad = []
        for address in data.recipients:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            problems.append(FieldProblem("recipients", _("Not an e-mail address: %(addresses)s.")
                                         % {"addresses": ", ".join(bad)}))
    return problems


def _normalised(data: ScheduleInput) -> ScheduleInput:
    recipients = list(dict.fromkeys(r.strip().lower() for r in data.recipients if r.strip()))
    # Known sections in the report's order; unknown ones are kept for check_schedule to name.
    sections = [s for s in Section.values if s in data.sections]
    sections += [s for s in data.sections if s not in Section.values]
    return ScheduleInput(
        name=data.name.strip(), sections=sections,
        survey_pk=data.survey_pk, frequency=data.frequency,
        weekday=data.weekday if data.frequency == Frequency.WEEKLY else None,
        day_of_month=data.day_of_month if data.frequency == Frequency.MONTHLY else None,
        hour=data.hour, language=data.language, recipients=recipients, active=data.active)


def save_schedule(*, actor: Actor, data: ScheduleInput,
                  schedule_pk: int | None = None, now: datetime | None = None
                  ) -> ReportSchedule:
    """Create a schedule, or change ``schedule_pk``; computes its next run.

    Locks the schedule when changing it. Raises PermissionDenied, NotFound,
    ValidationFailed (each field named); nothing changes on error.
    """
    require(actor, MANAGE)
    data = _normalised(data)
    problems = check_schedule(data)
    if problems:
        raise ValidationFailed(problems, problems[0].message)
    now = now or timezone.now()
    with transaction.atomic():
        if schedule_pk is None:
            schedule = ReportSchedule(owner=actor.user)
            action = "create"
        else:
            found = ReportSchedule.objects.select_for_update().filter(pk=schedule_pk).first()
            if found is None:
                raise NotFound(_("No report schedule with ID %(id)s.") % {"id": schedule_pk})
            schedule, action = found, "update"
        before = {name: getattr(schedule, name if name != "survey" else "survey_id")
                  for name in FIELDS}
        schedule.name = data.name
        schedule.sections = data.sections
        schedule.survey_id = data.survey_pk
        schedule.frequency = data.frequency
        schedule.weekday = data.weekday
        schedule.day_of_month = data.day_of_month
        schedule.hour = data.hour
        schedule.language = data.language
        schedule.recipients = data.recipients
        schedule.active = data.active
        timing_changed = any(getattr(schedule, name) != before[name] for name in
                             ("frequency", "weekday", "day_of_month", "hour", "active"))
        # An edit of anything else keeps a run that is due but not started yet.
        if action == "create" or timing_changed or schedule.next_run_at is None:
            schedule.next_run_at = (timing.next_run(schedule.cadence, after=now,
                                                    zone=selectors.business_zone())
                                    if data.active else None)
        schedule.save()
        changed = [name for name in FIELDS
                   if getattr(schedule, name if name != "survey" else "survey_id")
                   != before[name]]
        record_audit(actor=actor, action=action, obj=schedule,
                     fields=FIELDS if action == "create" else changed)
    return schedule


def delete_schedule(*, actor: Actor, schedule_pk: int) -> None:
    """Delete a schedule with its runs; their PDF files are removed after commit."""
    require(actor, MANAGE)
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().filter(pk=schedule_pk).first()
        if schedule is None:
            raise NotFound(_("No report schedule with ID %(id)s.") % {"id": schedule_pk})
        files = [path for path in schedule.runs.values_list("pdf_path", flat=True) if path]
        record_audit(actor=actor, action="delete", obj=schedule, fields=["name"])
        schedule.delete()
        transaction.on_commit(partial(delivery.remove_pdfs, files))


def get_schedule(*, actor: Actor, schedule_pk: int) -> ReportSchedule:
    require(actor, VIEW)
    schedule = selectors.find_schedule(schedule_pk)
    if schedule is None:
        raise NotFound(_("No report schedule with ID %(id)s.") % {"id": schedule_pk})
    return schedule


def latest_period(schedule: ReportSchedule, now: datetime | None = None) -> timing.Period:
    """The period of the schedule's latest run time at or before ``now``: what its last
    scheduled report covered (or would have)."""
    zone = selectors.business_zone()
    due = timing.previous_run(schedule.cadence, at=now or timezone.now(), zone=zone)
    return timing.period_for_run(schedule.frequency, due=due, zone=zone)


def send_now(*, actor: Actor, schedule_pk: int, now: datetime | None = None) -> ReportRun:
    """Send the report of the last complete period now, in addition to the schedule."""
    require(actor, MANAGE)
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().filter(pk=schedule_pk).first()
        if schedule is None:
            raise NotFound(_("No report schedule with ID %(id)s.") % {"id": schedule_pk})
        period = latest_period(schedule, now)
        run = ReportRun.objects.create(schedule=schedule, trigger=Trigger.MANUAL,
                                       period_start=period.start, period_end=period.end,
                                       requested_by=actor.user)
        record_audit(actor=actor, action="send", obj=run,
                     fields=["period_start", "period_end"])
        enqueue_after_commit(send_report_run_task, run.pk)
    return run


def preview_pdf(*, actor: Actor, schedule_pk: int, now: datetime | None = None
                ) -> tuple[ReportSchedule, timing.Period, bytes]:
    """The report of the last complete period as PDF bytes, made now and not stored."""
    schedule = get_schedule(actor=actor, schedule_pk=schedule_pk)
    period = latest_period(schedule, now)
    return schedule, period, delivery.render_pdf(schedule, period, now)


def run_pdf(*, actor: Actor, run_pk: int) -> tuple[ReportRun, bytes]:
    """The stored PDF of a run. Raises NotFound when the run or its file is missing."""
    require(actor, VIEW)
    run = selectors.find_run(run_pk)
    path = delivery.stored_pdf(run) if run is not None else None
    if run is None or path is None:
        raise NotFound(_("This report has no PDF (yet)."))
    return run, path.read_bytes()
