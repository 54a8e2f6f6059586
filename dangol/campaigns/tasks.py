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


@shared_task(acks_late=True)
def run_journeys_task() -> list[int]:
    """Hourly in the daytime: a scan per active journey, each on any worker."""
    from dangol.campaigns.journey_triggers import active_journey_ids

    journey_ids = active_journey_ids()
    for journey_id in journey_ids:
        scan_journey_task.delay(journey_id)
    return journey_ids


@shared_task(acks_late=True)
def scan_journey_task(journey_id: int) -> int:
    """Enter the customers one journey's trigger calls for, chunk by chunk."""
    from dangol.campaigns.journey_triggers import scan_journey

    return scan_journey(journey_id=journey_id).entered


@shared_task(acks_late=True)
def enter_detractor_task(response_pk: int) -> int:
    """After a survey response completes: the detractor apology journeys it calls for."""
    from dangol.campaigns.journey_triggers import enter_detractor

    return enter_detractor(response_pk=response_pk).entered
