"""Receivers of other apps' signals for journeys (connected in CampaignsConfig.ready)."""

from typing import Any

from dangol.campaigns import tasks
from dangol.campaigns.journey_triggers import any_active_detractor_journey
from dangol.core.transactions import enqueue_after_commit


def on_response_completed(sender: Any, response_pk: int, survey_pk: int,
                          customer_pk: int | None, **kwargs: Any) -> None:
    """Queue the detractor apology journeys for the response once its completion commits.

    Anonymous responses and a business without an active detractor journey cost one
    cheap query at most; the worker reads the answers (the completed status is
    stored after this signal, inside the same transaction).
    """
    if customer_pk is None or not any_active_detractor_journey():
        return
    enqueue_after_commit(tasks.enter_detractor_task, response_pk)
