"""Background work of the surveys app (thin: call one service)."""

from celery import shared_task

from dangol.surveys.services import invitations


@shared_task(acks_late=True)
def run_triggers_task() -> dict[str, int]:
    """Invite customers by the surveys' triggers; safe to run as often as wanted."""
    results = invitations.run_triggers()
    return {"invited": sum(r.invited for r in results.values())}


@shared_task(acks_late=True)
def send_reminders_task() -> int:
    """Remind non-responders whose reminder is due; each reminder is sent once."""
    return invitations.send_reminders()
