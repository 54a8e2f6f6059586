"""Reads of customer scores."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from dangol.segments.models import CustomerScore


def find_score(customer_id: int) -> CustomerScore | None:
    """The customer's latest score, or None when the customer has not been scored."""
    return CustomerScore.objects.filter(customer_id=customer_id).first()


def explain_score(score: CustomerScore) -> str:
    """One plain-language sentence in the active language, e.g.
    "bought 7 times, last 120 days ago — 35 % likely still active"."""
    days = max((timezone.localdate() - timezone.localdate(score.last_order_at)).days, 0)
    values = {"count": score.order_count, "days": days}
    if score.p_alive is None:
        return ngettext(
            "bought %(count)d time, last %(days)d days ago",
            "bought %(count)d times, last %(days)d days ago",
            score.order_count,
        ) % values
    values["percent"] = round(100 * score.p_alive)
    return ngettext(
        "bought %(count)d time, last %(days)d days ago — %(percent)d %% likely still active",
        "bought %(count)d times, last %(days)d days ago — %(percent)d %% likely still active",
        score.order_count,
    ) % values


def customer_pks_in_rfm_segment(segment: str) -> QuerySet[CustomerScore]:
    """Primary keys of the customers whose latest score puts them in RFM ``segment``."""
    return CustomerScore.objects.filter(rfm_segment=segment).values_list("customer_id",
                                                                         flat=True)
