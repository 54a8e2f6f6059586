"""Scoring: RFM quintiles, named RFM segments, BG/NBD and Gamma-Gamma predictions.

Per-customer summaries come from one SQL aggregation over the orders; the
models and quintiles are computed column-wise with numpy and
:mod:`dangol.stats`; the scores are written with upserts in chunks.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from dangol.customers.models import Order, OrderStatus
from dangol.segments.models import ChurnRisk, CustomerScore, RFMSegment
from dangol.stats import (
    PurchaseSummary,
    StatsError,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
)

CHUNK_SIZE = 5000
DAYS_PER_WEEK = 7.0
PREDICTION_DAYS = 90
VALUE_MONTHS = 12
# Monthly discount rate of the 12-month value (about 12.7 % a year).
MONTHLY_DISCOUNT_RATE = 0.01

# Orders that did not end in a sale do not count as purchases.
NOT_PURCHASES = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)

# Named RFM segments from the recency (R) and frequency (F) quintile scores.
# The first matching row wins; together the rows cover all 25 (R, F) cells.
#   segment              R      F      meaning
SEGMENT_RULES: tuple[tuple[RFMSegment, range, range], ...] = (
    (RFMSegment.CHAMPIONS, range(4, 6), range(4, 6)),  # bought recently and often
    (RFMSegment.LOYAL, range(3, 6), range(3, 6)),  # buy regularly, not lapsed
    (RFMSegment.CANT_LOSE, range(1, 3), range(4, 6)),  # were among the most frequent, lapsed
    (RFMSegment.AT_RISK, range(1, 3), range(3, 4)),  # bought regularly, lapsing
    (RFMSegment.NEW, range(4, 6), range(1, 2)),  # first purchase, recently
    (RFMSegment.POTENTIAL_LOYALIST, range(3, 6), range(1, 3)),  # recent, few purchases
    (RFMSegment.HIBERNATING, range(2, 3), range(1, 3)),  # few purchases, a while ago
    (RFMSegment.LOST, range(1, 2), range(1, 3)),  # few purchases, long ago
)

# Churn-risk bands from the probability of still being active; without a
# fitted model the band falls back on the recency score alone.
LOW_RISK_P_ALIVE = 0.7
HIGH_RISK_P_ALIVE = 0.3

_SEGMENT_CODES = [segment.value for segment, _r, _f in SEGMENT_RULES]


def _segment_grid() -> npt.NDArray[np.int64]:
    grid = np.full((5, 5), -1, dtype=np.int64)
    for code, (_segment, r_scores, f_scores) in enumerate(SEGMENT_RULES):
        for r in r_scores:
            for f in f_scores:
                if grid[r - 1, f - 1] < 0:
                    grid[r - 1, f - 1] = code
    assert (grid >= 0).all(), "SEGMENT_RULES must name every (R, F) cell"
    return grid


_SEGMENT_GRID = _segment_grid()


@dataclass(frozen=True, slots=True)
class ScoringResult:
    """What a scoring run did.

    ``prediction_skipped_reason`` / ``value_skipped_reason`` say why the
    BG/NBD predictions / the 12-month value were left null (``None`` when they
    were computed).
    """

    as_of: datetime
    customers_scored: int
    repeat_buyers: int
    scores_deleted: int
    segments: dict[str, int] = field(default_factory=dict)
    purchase_model: dict[str, Any] | None = None
    spend_model: dict[str, Any] | None = None
    prediction_skipped_reason: str | None = None
    value_skipped_reason: str | None = None
    non_finite_predictions: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Summaries:
    customer_ids: npt.NDArray[np.int64]
    order_count: npt.NDArray[np.int64]
    frequency: npt.NDArray[np.float64]
    recency_days: npt.NDArray[np.float64]
    T_days: npt.NDArray[np.float64]
    days_since_last: npt.NDArray[np.float64]
    total_spent: list[Decimal]
    last_order_at: list[datetime]

    @property
    def total_as_float(self) -> npt.NDArray[np.float64]:
        return np.array([float(v) for v in self.total_spent], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Predictions:
    expected_90d: npt.NDArray[np.float64] | None = None
    p_alive: npt.NDArray[np.float64] | None = None
    value_12m: npt.NDArray[np.float64] | None = None
    purchase_model: dict[str, Any] | None = None
    spend_model: dict[str, Any] | None = None
    prediction_skipped_reason: str | None = None
    value_skipped_reason: str | None = None


def score_customers(*, as_of: datetime | None = None) -> ScoringResult:
    """Score every customer with a purchase up to ``as_of`` (default: now).

    Effect: in one transaction, upserts one :class:`CustomerScore` per
    customer with at least one placed order (cancelled and refunded orders
    do not count) and deletes the scores of customers who no longer have one.
    Running it twice gives the same rows with refreshed values. Purchase days
    are counted in the business time zone; the models are fitted in weeks.

    When the population has too few repeat buyers, or a model does not
    converge, the predictions (and/or the 12-month value) are left null and
    the result says why; RFM scores and segments are always written. Raises
    nothing of its own; database errors propagate and roll back the run.
    """
    clock = time.perf_counter()
    as_of = as_of or timezone.now()
    scored_at = timezone.now()
    summaries = _summaries(as_of)
    n = int(summaries.customer_ids.shape[0])
    total = summaries.total_as_float
    order_count = summaries.order_count.astype(np.float64)
    monetary = np.divide(total, order_count, out=np.zeros(n), where=order_count > 0)

    r_score = quintile_scores(-summaries.days_since_last)
    f_score = quintile_scores(order_count)
    m_score = quintile_scores(total)
    segment_codes = _SEGMENT_GRID[r_score - 1, f_score - 1]
    predictions = _predict(summaries, monetary) if n else _Predictions(
        prediction_skipped_reason="no customer has a purchase yet",
        value_skipped_reason="no customer has a purchase yet",
    )
    risk = churn_risk_bands(predictions.p_alive, r_score)

    rows = [
        CustomerScore(
            customer_id=int(summaries.customer_ids[i]),
            frequency=int(summaries.frequency[i]),
            recency_days=float(summaries.recency_days[i]),
            T_days=float(summaries.T_days[i]),
            monetary=_money(monetary[i]) or Decimal(0),
            order_count=int(summaries.order_count[i]),
            total_spent=summaries.total_spent[i],
            last_order_at=summaries.last_order_at[i],
            R=int(r_score[i]),
            F=int(f_score[i]),
            M=int(m_score[i]),
            rfm_segment=_SEGMENT_CODES[segment_codes[i]],
            expected_purchases_90d=_float_or_none(predictions.expected_90d, i),
            p_alive=_float_or_none(predictions.p_alive, i),
            predicted_value_12m=(
                None if predictions.value_12m is None else _money(predictions.value_12m[i])
            ),
            churn_risk=str(risk[i]),
            scored_at=scored_at,
        )
        for i in range(n)
    ]
    update_fields = [
        f.name for f in CustomerScore._meta.concrete_fields if f.name not in {"id", "customer"}
    ]
    with transaction.atomic():
        for start in range(0, n, CHUNK_SIZE):
            CustomerScore.objects.bulk_create(
                rows[start : start + CHUNK_SIZE],
                update_conflicts=True,
                unique_fields=["customer"],
                update_fields=update_fields,
            )
        # Every row written above carries this run's scored_at; older rows
        # belong to customers without a purchase any more.
        deleted, _ = CustomerScore.objects.exclude(scored_at=scored_at).delete()

    counts = Counter(_SEGMENT_CODES[c] for c in segment_codes.tolist())
    return ScoringResult(
        as_of=as_of,
        customers_scored=n,
        repeat_buyers=int(np.count_nonzero(summaries.frequency > 0)),
        scores_deleted=deleted,
        segments={segment.value: counts.get(segment.value, 0) for segment in RFMSegment},
        purchase_model=predictions.purchase_model,
        spend_model=predictions.spend_model,
        prediction_skipped_reason=predictions.prediction_skipped_reason,
        value_skipped_reason=predictions.value_skipped_reason,
        non_finite_predictions=_non_finite(predictions),
        seconds=time.perf_counter() - clock,
    )


def quintile_scores(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Scores 1-5 by rank (higher value, higher score); ties share the lower score."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(array)
    rank = np.searchsorted(ordered, array, side="left")
    return (1 + (5 * rank) // array.size).astype(np.int64)


def churn_risk_bands(
    p_alive: npt.NDArray[np.float64] | None, r_score: npt.NDArray[np.int64]
) -> npt.NDArray[np.str_]:
    """Low / medium / high from P(alive); from the recency score when there is no model."""
    if p_alive is None:
        low, high = r_score >= 4, r_score <= 2
    else:
        low, high = p_alive >= LOW_RISK_P_ALIVE, p_alive < HIGH_RISK_P_ALIVE
    return np.where(
        low, ChurnRisk.LOW.value, np.where(high, ChurnRisk.HIGH.value, ChurnRisk.MEDIUM.value)
    )


def _summaries(as_of: datetime) -> _Summaries:
    """Per-customer purchase summary in one aggregate query (one row per customer)."""
    rows = list(
        Order.objects.filter(ordered_at__lte=as_of)
        .exclude(status__in=NOT_PURCHASES)
        .values("customer_id")
        .annotate(
            order_count=Count("id"),
            purchase_days=Count(TruncDate("ordered_at"), distinct=True),
            first_day=Min(TruncDate("ordered_at")),
            last_day=Max(TruncDate("ordered_at")),
            last_order_at=Max("ordered_at"),
            total_spent=Sum("total_amount"),
        )
        .order_by("customer_id")
        .values_list(
            "customer_id", "order_count", "purchase_days", "first_day", "last_day",
            "last_order_at", "total_spent",
        )
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    ids, order_count, purchase_days, first_day, last_day, last_order_at, total_spent = columns
    first = np.array(first_day, dtype="datetime64[D]")
    last = np.array(last_day, dtype="datetime64[D]")
    today = np.datetime64(timezone.localdate(as_of), "D")
    return _Summaries(
        customer_ids=np.array(ids, dtype=np.int64),
        order_count=np.array(order_count, dtype=np.int64),
        # Repeat purchases are purchase days after the first, as in the literature.
        frequency=np.array(purchase_days, dtype=np.float64) - 1.0,
        recency_days=(last - first).astype(np.float64),
        T_days=(today - first).astype(np.float64),
        days_since_last=(today - last).astype(np.float64),
        total_spent=[Decimal(v) for v in total_spent],
        last_order_at=list(last_order_at),
    )


def _predict(summaries: _Summaries, monetary: npt.NDArray[np.float64]) -> _Predictions:
    """Fit BG/NBD and Gamma-Gamma on the whole population (in weeks) and predict."""
    repeat = summaries.frequency > 0
    summary = PurchaseSummary(
        frequency=summaries.frequency,
        recency=summaries.recency_days / DAYS_PER_WEEK,
        T=summaries.T_days / DAYS_PER_WEEK,
        # The average order value stands in for the mean repeat spend.
        monetary=np.where(repeat, monetary, 0.0),
    )
    try:
        purchase_fit = fit_bgnbd(summary)
    except StatsError as exc:
        reason = f"no BG/NBD predictions: {exc}"
        return _Predictions(prediction_skipped_reason=reason, value_skipped_reason=reason)
    model = purchase_fit.params
    arrays = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T}
    p_alive = np.clip(model.probability_alive(**arrays), 0.0, 1.0)
    expected = model.expected_purchases(PREDICTION_DAYS / DAYS_PER_WEEK, **arrays)
    try:
        spend_fit = fit_gamma_gamma(summary)
        value = customer_lifetime_value(
            model, spend_fit.params, monetary=summary.monetary, months=VALUE_MONTHS,
            discount_rate=MONTHLY_DISCOUNT_RATE, time_unit="W", **arrays,
        )
    except StatsError as exc:
        return _Predictions(
            expected_90d=expected, p_alive=p_alive, purchase_model=purchase_fit.as_dict(),
            value_skipped_reason=f"no 12-month value: {exc}",
        )
    return _Predictions(
        expected_90d=expected, p_alive=p_alive, value_12m=value,
        purchase_model=purchase_fit.as_dict(), spend_model=spend_fit.as_dict(),
    )


def _non_finite(predictions: _Predictions) -> int:
    """Customers with a prediction the models could not evaluate (stored as null)."""
    bad = np.zeros(0, dtype=bool)
    for values in (predictions.expected_90d, predictions.p_alive, predictions.value_12m):
        if values is not None:
            here = ~np.isfinite(values)
            bad = here if bad.size == 0 else bad | here
    return int(np.count_nonzero(bad))


def _money(value: float) -> Decimal | None:
    return Decimal(f"{value:.2f}") if np.isfinite(value) else None


def _float_or_none(values: npt.NDArray[np.float64] | None, i: int) -> float | None:
    # A prediction the series could not evaluate (nan) is stored as unknown.
    if values is None or not np.isfinite(values[i]):
        return None
    return float(values[i])
