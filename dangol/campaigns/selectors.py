"""Reads of campaigns: lists, one campaign, and its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.campaigns.models import Campaign, Recipient
from dangol.core.errors import NotFound
from dangol.customers.models import ConsentEvent, Order, OrderStatus
from dangol.engagement.models import Status as MessageStatus
from dangol.stats.proportions import Uplift, uplift


def list_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("segment", "created_by").order_by("-pk")


def find_campaign(pk: int) -> Campaign | None:
    return list_campaigns().select_related("brand").filter(pk=pk).first()


def get_campaign(pk: int) -> Campaign:
    campaign = find_campaign(pk)
    if campaign is None:
        raise NotFound(_("No campaign with ID %(id)s.") % {"id": pk})
    return campaign


@dataclass
class Results:
    targeted: int = 0
    held_out: int = 0
    capped: int = 0
    messaged: int = 0
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    blocked: dict[str, int] = field(default_factory=dict)
    unsubscribed: int = 0
    messaged_converted: int = 0
    holdout_converted: int = 0
    window_open: bool = False
    uplift: Uplift | None = None

    @property
    def blocked_total(self) -> int:
        return sum(self.blocked.values())

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
        return {"targeted": self.targeted, "held_out": self.held_out, "capped": self.capped,
                "messaged": self.messaged, "queued": self.queued, "sent": self.sent,
                "delivered": self.delivered, "failed": self.failed, "blocked": self.blocked,
                "unsubscribed": self.unsubscribed,
                "messaged_converted": self.messaged_converted,
                "holdout_converted": self.holdout_converted,
                "conversion_window_open": self.window_open, "effect": effect}


def campaign_results(campaign: Campaign) -> Results:
    """Counts of what the campaign did, and conversion of messaged vs held-out customers.

    Messaged means assigned to be messaged (a message was queued, whatever became
    of it): both groups passed the same consent and cap checks before the random
    draw, so comparing them measures the campaign. A customer converted with a
    placed order within ``conversion_days`` after the campaign reached them.
    """
    recipients = Recipient.objects.filter(campaign=campaign)
    results = Results()
    for row in recipients.values("outcome", "block_reason").annotate(n=Count("pk")):
        n = row["n"]
        results.targeted += n
        if row["outcome"] == Recipient.Outcome.HELD_OUT:
            results.held_out += n
        elif row["outcome"] == Recipient.Outcome.CAPPED:
            results.capped += n
        elif row["outcome"] == Recipient.Outcome.BLOCKED:
            reason = row["block_reason"] or "blocked"
            results.blocked[reason] = results.blocked.get(reason, 0) + n
    with_message = recipients.filter(message__isnull=False)
    for row in with_message.values("message__status").annotate(n=Count("pk")):
        status, n = row["message__status"], row["n"]
        results.messaged += n
        if status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            results.queued += n
        elif status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            results.sent += n
            if status == MessageStatus.DELIVERED:
                results.delivered += n
        elif status == MessageStatus.FAILED:
            results.failed += n
    results.unsubscribed = with_message.filter(Exists(ConsentEvent.objects.filter(
        customer_id=OuterRef("customer_id"), channel=campaign.channel, purpose="ad",
        action=ConsentEvent.Action.WITHDRAW, at__gte=OuterRef("at")))).count()
    window = timedelta(days=campaign.conversion_days)
    converted = Exists(Order.objects.filter(
        customer_id=OuterRef("customer_id"), status=OrderStatus.PLACED,
        ordered_at__gt=OuterRef("at"), ordered_at__lte=OuterRef("window_end")))
    annotated = recipients.annotate(window_end=ExpressionWrapper(
        F("at") + window, output_field=DateTimeField()))
    results.messaged_converted = annotated.filter(message__isnull=False).filter(
        converted).count()
    results.holdout_converted = annotated.filter(
        outcome=Recipient.Outcome.HELD_OUT).filter(converted).count()
    if campaign.started_at is not None:
        results.window_open = timezone.now() < campaign.started_at + window
    results.uplift = uplift(results.messaged_converted, results.messaged,
                            results.holdout_converted, results.held_out)
    return results



def variant_results_dict(campaign: Campaign) -> dict[str, Any]:
    """An A/B test's results for the API: per version, and the test between versions."""
    from dangol.campaigns import ab

    versions, test = ab.variant_results(campaign)

    def effect(found: Uplift | None) -> dict[str, float] | None:
        if found is None:
            return None
        return {"difference": found.difference, "interval_low": found.interval.low,
                "interval_high": found.interval.high, "p_value": found.p_value}

    return {
        "versions": [{"label": r.variant.label, "weight": r.variant.weight,
                      "messaged": r.messaged, "converted": r.converted, "rate": r.rate,
                      "versus_holdout": effect(r.versus_holdout)} for r in versions],
        "test": {"enough": test.enough, "reason": test.reason, "statistic": test.statistic,
                 "dof": test.dof, "p_value": test.p_value,
                 "b_minus_a": effect(test.difference)},
    }
