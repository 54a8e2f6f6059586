"""Background work of campaigns (thin: each task calls one service)."""

from celery import shared_task

from dangol.campaigns import services


@shared_task(acks_late=True)
def fan_out_task(campaign_id: int) -> int:
    """Queue the campaign's messages, chunk by chunk; resumes where a stopped run left off."""
    return services.fan_out(campaign_id=campaign_id)


@shared_task(acks_late=True)
def start_due_campaigns_task() -> list[int]:
    """Every minute: start scheduled campaigns that are due and resume stalled ones."""
    return services.start_due_campaigns()
