"""Reads of customer scores and saved segments."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dangol.core.errors import NotFound
from dangol.customers.models import Customer, Product
from dangol.loyalty.models import Tier
from dangol.segments.compiler import Context, compile_group
from dangol.segments.models import CustomerScore, Segment
from dangol.segments.rules import Group, parse_definition


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


def customer_pks_in_rfm_segment(segment: str) -> QuerySet[CustomerScore, int]:
    """Primary keys of the customers whose latest score puts them in RFM ``segment``."""
    return CustomerScore.objects.filter(rfm_segment=segment).values_list("customer_id",
                                                                         flat=True)


# --- saved segments -----------------------------------------------------------------


def customers_matching(definition: Any | Group, *,
                       context: Context | None = None) -> QuerySet[Customer]:
    """Customers that ``definition`` selects, as one lazy query.

    Raises ValidationFailed naming each bad rule (``rules.2.value``).
    """
    group = definition if isinstance(definition, Group) else parse_definition(definition)
    return Customer.objects.filter(compile_group(group, context))


def count_preview(definition: Any) -> int:
    """How many customers ``definition`` selects right now (one COUNT query)."""
    return customers_matching(definition).count()


def segment_customers(segment: Segment) -> QuerySet[Customer]:
    """The customers in ``segment`` now: its rules are run afresh on every call.

    This is what surveys and campaigns use for "send to a segment". Lazy and
    unordered; chain ``.order_by()``/``.iterator()`` as needed.
    """
    return customers_matching(segment.definition)


def list_segments() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by").order_by("name")


def find_segment(pk: int) -> Segment | None:
    return Segment.objects.select_related("created_by").filter(pk=pk).first()


def get_segment(pk: int) -> Segment:
    """The segment with primary key ``pk``; raises NotFound."""
    segment = find_segment(pk)
    if segment is None:
        raise NotFound(_("No segment with ID %(id)s.") % {"id": pk})
    return segment


def value_suggestions(*, limit: int = 100) -> dict[str, list[str]]:
    """Values the builder offers for fields whose values live in the data:
    product categories and loyalty tier names (a few small, indexed reads)."""
    categories = (Product.objects.exclude(category="").order_by("category")
                  .values_list("category", flat=True).distinct()[:limit])
    tiers = Tier.objects.order_by("rank").values_list("name", flat=True).distinct()[:limit]
    return {"product_category": list(categories), "loyalty_tier": list(dict.fromkeys(tiers))}
