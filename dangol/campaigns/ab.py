"""A/B tests of campaigns: 2 to 4 versions of the message, the split, and the comparison.

A campaign with versions sends each customer not held out one version, drawn
with the versions' weights from a hash of the campaign's seed and the customer
(like the holdout draw, on its own hash), so a resumed fan-out draws the same.
Results compare each version with the holdout group (uplift with its interval)
and the versions with each other: a chi-square test of conversion by version
(for two versions the same as the pooled two-proportion z-test), reported only
once every version reached ``MIN_PER_VARIANT`` customers and the table has the
expected counts the test needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.utils.translation import gettext as _
from scipy import stats

from dangol.campaigns import rendering
from dangol.campaigns.journey_models import Variant
from dangol.campaigns.models import Campaign, Recipient
from dangol.core.errors import FieldProblem
from dangol.customers.models import Order, OrderStatus
from dangol.stats.proportions import Uplift, uplift

LABELS = "ABCD"
MAX_VARIANTS = 4
MIN_PER_VARIANT = 30
MIN_EXPECTED = 5


def draw(seed: str, customer_id: int) -> float:
    """The customer's place in [0, 1) for the version draw (independent of the holdout's)."""
    digest = hashlib.sha256(f"{seed}:variant:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose_variant(campaign: Campaign, variants: Sequence[Variant], customer_id: int) -> Variant:
    """The version the customer gets: the same on every run, shares as the weights."""
    total = sum(v.weight for v in variants)
    point = draw(campaign.seed, customer_id) * total
    for variant in variants:
        point -= variant.weight
        if point < 0:
            return variant
    return variants[-1]


# --- saving -----------------------------------------------------------------------------


def variant_problems(values: Mapping[str, Any], *, channel: str,
                     ) -> tuple[list[dict[str, Any]], list[FieldProblem]]:
    """Version A (the campaign's own subject and body) and the extra versions B–D from
    ``values["variants"]`` with their weights, checked; (versions, problems).

    No extra version: an empty list (a campaign without a test).
    """
    extra = values.get("variants") or []
    problems: list[FieldProblem] = []
    if not isinstance(extra, list | tuple):
        return [], [FieldProblem("variants", _("A list of versions."))]
    if len(extra) > MAX_VARIANTS - 1:
        problems.append(FieldProblem("variants", _(
            "At most %(n)s versions in all.") % {"n": MAX_VARIANTS}))
        return [], problems
    if not extra:
        return [], []
    weight_a = _weight(values.get("weight"), "weight", problems)
    versions = [{"label": "A", "subject": str(values.get("subject") or "").strip(),
                 "body": str(values.get("body") or ""), "weight": weight_a}]
    for index, item in enumerate(extra):
        prefix = f"variants.{index}"
        item = item if isinstance(item, Mapping) else {}
        subject = str(item.get("subject") or "").strip() if channel == "email" else ""
        body = str(item.get("body") or "")
        if channel == "email":
            if not subject:
                problems.append(FieldProblem(f"{prefix}.subject", _("An e-mail needs a subject.")))
            elif "\n" in subject or "\r" in subject or len(subject) > 200:
                problems.append(FieldProblem(f"{prefix}.subject", _(
                    "One line of at most %(n)s characters.") % {"n": 200}))
        if not body.strip():
            problems.append(FieldProblem(f"{prefix}.body", _("A message needs a body.")))
        problems.extend(rendering.template_problems(f"{prefix}.subject", subject))
        problems.extend(rendering.template_problems(f"{prefix}.body", body))
        versions.append({"label": LABELS[index + 1], "subject": subject, "body": body,
                         "weight": _weight(item.get("weight"), f"{prefix}.weight", problems)})
    return versions, problems


def _weight(value: Any, field: str, problems: list[FieldProblem]) -> int:
    if value in (None, ""):
        return 1
    try:
        weight = int(value)
    except (TypeError, ValueError):
        weight = 0
    if isinstance(value, bool) or not 1 <= weight <= 100 or str(weight) != str(value).strip():
        problems.append(FieldProblem(field, _("A whole number from 1 to 100.")))
        return 1
    return weight


def write_variants(campaign: Campaign, versions: list[dict[str, Any]]) -> bool:
    """Replace a draft's versions; returns whether they changed. Call holding its row lock."""
    current = [{"label": v.label, "subject": v.subject, "body": v.body, "weight": v.weight}
               for v in campaign.variants.order_by("label")]
    if current == versions:
        return False
    campaign.variants.all().delete()
    Variant.objects.bulk_create([Variant(campaign=campaign, **v) for v in versions])
    return True


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    messaged: int
    converted: int
    versus_holdout: Uplift | None

    @property
    def rate(self) -> float | None:
        return self.converted / self.messaged if self.messaged else None


@dataclass(frozen=True)
class VariantTest:
    """The comparison of the versions' conversion rates."""

    enough: bool
    statistic: float | None = None
    dof: int | None = None
    p_value: float | None = None
    # Two versions: B − A with its interval.
    difference: Uplift | None = None
    reason: str = ""


def compare(counts: Sequence[tuple[int, int]]) -> VariantTest:
    """Chi-square test of (converted, customers) by version; "not enough data" below the
    minimum customers per version or with an expected count under ``MIN_EXPECTED``."""
    if len(counts) < 2:
        return VariantTest(False, reason="one_version")
    if min(n for _c, n in counts) < MIN_PER_VARIANT:
        return VariantTest(False, reason="too_few_customers")
    converted = sum(c for c, _n in counts)
    total = sum(n for _c, n in counts)
    rate = converted / total
    expected = [e for _c, n in counts for e in (n * rate, n * (1 - rate))]
    if min(expected) < MIN_EXPECTED:
        return VariantTest(False, reason="too_few_conversions")
    table = [[c, n - c] for c, n in counts]
    found = stats.chi2_contingency(table, correction=False)
    difference = None
    if len(counts) == 2:
        (ca, na), (cb, nb) = counts
        difference = uplift(cb, nb, ca, na)
    return VariantTest(True, statistic=float(found.statistic), dof=int(found.dof),
                       p_value=float(found.pvalue), difference=difference)


def variant_results(campaign: Campaign) -> tuple[list[VariantResult], VariantTest]:
    """Per version: customers messaged, conversions and uplift against the holdout group;
    and the test of the difference between versions. Two queries per version and two
    for the holdout group, whatever the number of customers."""
    variants = list(campaign.variants.order_by("label"))
    if not variants:
        return [], VariantTest(False, reason="one_version")
    converted = Exists(Order.objects.filter(
        customer_id=OuterRef("customer_id"), status=OrderStatus.PLACED,
        ordered_at__gt=OuterRef("at"), ordered_at__lte=OuterRef("window_end")))
    recipients = Recipient.objects.filter(campaign=campaign).annotate(
        window_end=ExpressionWrapper(F("at") + timedelta(days=campaign.conversion_days),
                                     output_field=DateTimeField()))
    treated = recipients.filter(message__isnull=False)
    control = recipients.filter(outcome=Recipient.Outcome.HELD_OUT)
    control_n = control.count()
    control_c = control.filter(converted).count()
    results = []
    for variant in variants:
        mine = treated.filter(variant=variant)
        n, c = mine.count(), mine.filter(converted).count()
        results.append(VariantResult(variant, n, c, uplift(c, n, control_c, control_n)))
    return results, compare([(r.converted, r.messaged) for r in results])

