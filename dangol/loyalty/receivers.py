"""Receivers of other apps' signals (connected in LoyaltyConfig.ready)."""

from typing import Any

from django.utils.translation import gettext as _

from dangol.core.transactions import enqueue_after_commit
from dangol.loyalty.models import Source
from dangol.loyalty.services.earning import award_action
from dangol.loyalty.tasks import apply_orders_task
from dangol.surveys.signals import Reward

# Orders per queued task: an import of 100,000 orders becomes 50 tasks that
# any worker can take, each one bulk transaction.
ORDERS_PER_TASK = 2000


def on_orders_written(sender: Any, order_pks: list[int], **kwargs: Any) -> None:
    """Queue earning (or reversal) for written orders once their transaction commits."""
    for start in range(0, len(order_pks), ORDERS_PER_TASK):
        enqueue_after_commit(apply_orders_task, order_pks[start : start + ORDERS_PER_TASK])


def on_response_completed(
    sender: Any, response_pk: int, survey_pk: int, customer_pk: int | None, **kwargs: Any
) -> Reward | None:
    """Award the program's survey points, once per response, inside its transaction."""
    if customer_pk is None:
        return None
    entry = award_action(source=Source.SURVEY, ref=str(response_pk), customer_pk=customer_pk)
    if entry is None:
        return None
    points = entry.points - entry.debt_delta
    if points <= 0:
        return None
    return Reward(
        label=_("%(points)s points for your answers") % {"points": f"{points:,}"}, points=points
    )
