"""Webhook delivery tasks (thin: they take ids and call dispatch; safe to run twice)."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from dangol.webhooks import dispatch, retention


@shared_task(acks_late=True)
def send_delivery_task(delivery_id: int) -> str:
    """Attempt one delivery now (queued after the event's transaction commits)."""
    outcome = dispatch.attempt_delivery(delivery_id=delivery_id)
    return outcome.status if outcome.sent else "not sent"


@shared_task(acks_late=True)
def send_due_deliveries_task(now: str | None = None) -> dict[str, int]:
    """Send every due delivery (every minute from the scheduler, and after a replay)."""
    result = dispatch.send_due_deliveries(now=parse_datetime(now) if now else None)
    return {"attempted": result.attempted, "succeeded": result.succeeded,
            "failed": result.failed, "skipped_endpoints": result.skipped_endpoints}


@shared_task(acks_late=True)
def purge_old_events_task() -> int:
    """Delete events past the retention period (nightly)."""
    return retention.purge_old_events()
