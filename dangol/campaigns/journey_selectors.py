"""Reads of journeys: lists, one journey, its entries and its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils.translation import gettext as _

from dangol.campaigns.journey_models import Journey, JourneyEntry
from dangol.core.errors import NotFound
from dangol.customers.models import Order, OrderStatus
from dangol.stats.proportions import Uplift, uplift


def list_journeys() -> QuerySet[Journey]:
    return Journey.objects.select_related("survey", "coupon_campaign").order_by("-pk")


def find_journey(pk: int) -> Journey | None:
    if not 0 < pk < 2**63:
        return None
    return list_journeys().select_related("brand").filter(pk=pk).first()


def get_journey(pk: int) -> Journey:
    journey = find_journey(pk)
    if journey is None:
        raise NotFound(_("No journey with ID %(id)s.") % {"id": pk})
    return journey


def journey_entries(journey: Journey) -> QuerySet[JourneyEntry]:
    """The journey's entries, newest first, with the customer and the message's status."""
    return (JourneyEntry.objects.filter(journey=journey)
            .select_related("customer", "message", "coupon").order_by("-at", "-pk"))


@dataclass
class JourneyResults:
    entered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    messaged: int = 0
    held_out: int = 0
    messaged_converted: int = 0
    holdout_converted: int = 0
    uplift: Uplift | None = None

    def as_dict(self) -> dict[str, Any]:
        effect = None
        if self.uplift is not None:
            effect = {"messaged_rate": self.uplift.treated_rate,
                      "holdout_rate": self.uplift.control_rate,
                      "uplift": self.uplift.difference,
                      "interval_low": self.uplift.interval.low,
                      "interval_high": self.uplift.interval.high,
                      "confidence": self.uplift.interval.confidence,
                      "p_value": self.uplift.p_value}
        return {"entered": self.entered, "outcomes": self.outcomes, "reasons": self.reasons,
                "messaged": self.messaged, "held_out": self.held_out,
                "messaged_converted": self.messaged_converted,
                "holdout_converted": self.holdout_converted, "effect": effect}


def journey_results(journey: Journey) -> JourneyResults:
    """Entries by outcome and reason, and conversion of messaged vs held-out entries.

    As for campaigns, messaged means a message was queued (whatever became of it):
    both groups passed the same consent and cap checks before the random draw. An
    entry converted with a placed order within ``conversion_days`` after it.
    """
    entries = JourneyEntry.objects.filter(journey=journey)
    results = JourneyResults()
    for row in entries.values("outcome", "reason").annotate(n=Count("pk")):
        n = row["n"]
        results.entered += n
        results.outcomes[row["outcome"]] = results.outcomes.get(row["outcome"], 0) + n
        if row["reason"]:
            results.reasons[row["reason"]] = results.reasons.get(row["reason"], 0) + n
    converted = Exists(Order.objects.filter(
        customer_id=OuterRef("customer_id"), status=OrderStatus.PLACED,
        ordered_at__gt=OuterRef("at"), ordered_at__lte=OuterRef("window_end")))
    annotated = entries.annotate(window_end=ExpressionWrapper(
        F("at") + timedelta(days=journey.conversion_days), output_field=DateTimeField()))
    treated = annotated.filter(message__isnull=False)
    control = annotated.filter(outcome=JourneyEntry.Outcome.HELD_OUT)
    results.messaged = treated.count()
    results.held_out = control.count()
    results.messaged_converted = treated.filter(converted).count()
    results.holdout_converted = control.filter(converted).count()
    results.uplift = uplift(results.messaged_converted, results.messaged,
                            results.holdout_converted, results.held_out)
    return results
