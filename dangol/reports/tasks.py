"""Background work of the reports app (thin: take ids, call a service)."""

from celery import shared_task

from dangol.reports import delivery, dispatch


@shared_task(acks_late=True)
def send_report_run_task(run_id: int) -> str:
    """Make and mail one run; safe to run twice (only a due, unclaimed run is sent)."""
    run = delivery.send_run(run_id=run_id)
    return run.status if run is not None else "skipped"


@shared_task(acks_late=True)
def start_due_reports_task() -> int:
    """Every minute: start the runs of due schedules, and queue the runs whose retry is
    due or whose worker stopped. Each start is committed before its sending is queued."""
    started = dispatch.start_due_runs()
    for run_id in dict.fromkeys(started + dispatch.due_runs()):  # a run once, however due
        send_report_run_task.delay(run_id)
    return len(started)
