"""Starting report runs when their schedules are due (the scheduler's job)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.accounts.services import record_audit
from dangol.reports import delivery, selectors, timing
from dangol.reports.models import ReportRun, ReportSchedule, Trigger


def start_due_runs(*, now: datetime | None = None) -> list[int]:
    """Start a run for each active schedule whose next run is due, and move the schedule
    to its following run time. Returns the ids of the runs started.

    Each schedule is handled in its own transaction under its row lock. A schedule
    that was due several times (the scheduler was stopped) reports only its latest
    period. The database refuses a second run for the same schedule and period, so
    two schedulers (or one running twice) start a run once; the caller queues the
    sending of the returned runs (each transaction is committed then).
    """
    now = now or timezone.now()
    zone = selectors.business_zone()
    started = []
    for schedule_pk in selectors.due_schedule_ids(now):
        with transaction.atomic():
            schedule = (ReportSchedule.objects.select_for_update()
                        .filter(pk=schedule_pk, active=True, next_run_at__lte=now).first())
            if schedule is None or schedule.next_run_at is None:
                continue
            due = timing.latest_run(schedule.cadence, due=schedule.next_run_at, now=now,
                                    zone=zone)
            period = timing.period_for_run(schedule.frequency, due=due, zone=zone)
            schedule.next_run_at = timing.next_run(schedule.cadence, after=now, zone=zone)
            schedule.save(update_fields=["next_run_at", "updated_at"])
            try:
                with transaction.atomic():
                    run = ReportRun.objects.create(
                        schedule=schedule, trigger=Trigger.SCHEDULED,
                        period_start=period.start, period_end=period.end)
            except IntegrityError:
                continue  # already started for this period
            record_audit(actor=SYSTEM, action="start", obj=run,
                         fields=["period_start", "period_end"])
            started.append(run.pk)
    return started




def due_runs(*, now: datetime | None = None) -> list[int]:
    """Runs to queue again: a retry is due, the sender stopped (its lease passed), or a
    new run was not taken within a lease's time (its queue message was lost)."""
    return selectors.due_run_ids(now or timezone.now(), lost_after=delivery.lease())
