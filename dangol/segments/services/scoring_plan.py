"""The scoring plan: models fitted on the whole population and quintile cut points.

A plan is computed once per run from every customer's summary
(:func:`fit_plan`), stored on the run as JSON, and applied to any subset of
customers with pure numpy (:func:`apply_plan`). Applying it to one range of
customers gives exactly the scores that range gets when the whole population
is scored at once: the quintile scores come from global cut points, and the
predictions are element-wise functions of each customer's own summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dangol.segments.models import ChurnRisk, RFMSegment
from dangol.segments.services.summaries import Summaries
from dangol.stats import (
    BGNBDParams,
    GammaGammaParams,
    PurchaseSummary,
    StatsError,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
)

DAYS_PER_WEEK = 7.0
PREDICTION_DAYS = 90
VALUE_MONTHS = 12
# Monthly discount rate of the 12-month value (about 12.7 % a year).
MONTHLY_DISCOUNT_RATE = 0.01

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

SEGMENT_CODES = [segment.value for segment, _r, _f in SEGMENT_RULES]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def _segment_grid() -> Ints:
    grid = np.full((5, 5), -1, dtype=np.int64)
    for code, (_segment, r_scores, f_scores) in enumerate(SEGMENT_RULES):
        for r in r_scores:
            for f in f_scores:
                if grid[r - 1, f - 1] < 0:
                    grid[r - 1, f - 1] = code
    assert (grid >= 0).all(), "SEGMENT_RULES must name every (R, F) cell"
    return grid


SEGMENT_GRID = _segment_grid()


@dataclass(frozen=True, slots=True)
class Plan:
    """What every chunk of a run applies. ``cuts`` hold 4 values per RFM letter."""

    cuts: dict[str, list[int]]
    purchase_model: dict[str, Any] | None = None
    spend_model: dict[str, Any] | None = None
    prediction_skipped_reason: str | None = None
    value_skipped_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "cuts": self.cuts,
            "purchase_model": self.purchase_model,
            "spend_model": self.spend_model,
            "prediction_skipped_reason": self.prediction_skipped_reason,
            "value_skipped_reason": self.value_skipped_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            cuts={k: [int(v) for v in values] for k, values in data["cuts"].items()},
            purchase_model=data.get("purchase_model"),
            spend_model=data.get("spend_model"),
            prediction_skipped_reason=data.get("prediction_skipped_reason"),
            value_skipped_reason=data.get("value_skipped_reason"),
        )


@dataclass(frozen=True, slots=True)
class Scores:
    """Per-customer scores, one entry per customer of the summary it came from."""

    R: Ints
    F: Ints
    M: Ints
    segment_codes: Ints
    expected_90d: Floats | None
    p_alive: Floats | None
    value_12m: Floats | None
    churn_risk: npt.NDArray[np.str_]

    def non_finite(self) -> int:
        """Customers with a prediction the models could not evaluate (stored as null)."""
        bad = np.zeros(self.R.shape[0], dtype=np.bool_)
        for values in (self.expected_90d, self.p_alive, self.value_12m):
            if values is not None:
                bad |= ~np.isfinite(values)
        return int(np.count_nonzero(bad))

    def segment_counts(self) -> dict[str, int]:
        counts = np.bincount(self.segment_codes, minlength=len(SEGMENT_CODES))
        by_code = dict(zip(SEGMENT_CODES, counts.tolist(), strict=True))
        return {segment.value: by_code.get(segment.value, 0) for segment in RFMSegment}


def rfm_values(summaries: Summaries) -> dict[str, Ints]:
    """What the R, F and M quintiles rank: recency (later is higher), orders, spend."""
    return {"R": -summaries.days_since_last, "F": summaries.order_count,
            "M": summaries.total_cents}


def quintile_cuts(values: npt.ArrayLike) -> list[int]:
    """The 4 cut points c_k with score = 1 + #{k : value > c_k}, over the population.

    A value's score is 1 + ⌊5·rank/n⌋ with rank the number of smaller values;
    it is above k exactly when at least ⌈k·n/5⌉ values are smaller, i.e. when
    the value exceeds the ⌈k·n/5⌉-th smallest. So ties share the lower score.
    """
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    n = int(ordered.shape[0])
    if n == 0:
        return [0, 0, 0, 0]
    return [int(ordered[-(-k * n // 5) - 1]) for k in range(1, 5)]


def scores_from_cuts(values: npt.ArrayLike, cuts: list[int]) -> Ints:
    array = np.asarray(values, dtype=np.int64)
    return (1 + np.searchsorted(np.asarray(cuts, dtype=np.int64), array, side="left")).astype(
        np.int64)


def quintile_scores(values: npt.ArrayLike) -> Ints:
    """Scores 1-5 by rank (higher value, higher score); ties share the lower score."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(array)
    rank = np.searchsorted(ordered, array, side="left")
    return (1 + (5 * rank) // array.size).astype(np.int64)


def churn_risk_bands(p_alive: Floats | None, r_score: Ints) -> npt.NDArray[np.str_]:
    """Low / medium / high from P(alive); from the recency score when there is no model."""
    if p_alive is None:
        low, high = r_score >= 4, r_score <= 2
    else:
        low, high = p_alive >= LOW_RISK_P_ALIVE, p_alive < HIGH_RISK_P_ALIVE
    return np.where(
        low, ChurnRisk.LOW.value, np.where(high, ChurnRisk.HIGH.value, ChurnRisk.MEDIUM.value)
    )


def purchase_summary(summaries: Summaries) -> PurchaseSummary:
    """The models' input, in weeks, with the mean repeat spend as monetary."""
    return PurchaseSummary(
        frequency=summaries.frequency,
        recency=summaries.recency_days / DAYS_PER_WEEK,
        T=summaries.T_days / DAYS_PER_WEEK,
        monetary=summaries.repeat_spend,
    )


def fit_plan(summaries: Summaries) -> Plan:
    """Fit BG/NBD and Gamma-Gamma on the whole population and fix the cut points.

    A model that cannot be fitted leaves its predictions null with a reason.
    """
    cuts = {letter: quintile_cuts(values) for letter, values in rfm_values(summaries).items()}
    if summaries.size == 0:
        reason = "no customer has a purchase yet"
        return Plan(cuts=cuts, prediction_skipped_reason=reason, value_skipped_reason=reason)
    summary = purchase_summary(summaries)
    try:
        purchase_fit = fit_bgnbd(summary)
    except StatsError as exc:
        reason = f"no BG/NBD predictions: {exc}"
        return Plan(cuts=cuts, prediction_skipped_reason=reason, value_skipped_reason=reason)
    try:
        spend_fit = fit_gamma_gamma(summary)
        if spend_fit.params.q <= 1.0:
            raise StatsError(f"Gamma-Gamma q = {spend_fit.params.q:.3g} <= 1: "
                             "mean spend is infinite")
    except StatsError as exc:
        return Plan(cuts=cuts, purchase_model=purchase_fit.as_dict(),
                    value_skipped_reason=f"no 12-month value: {exc}")
    return Plan(cuts=cuts, purchase_model=purchase_fit.as_dict(),
                spend_model=spend_fit.as_dict())


def apply_plan(plan: Plan, summaries: Summaries) -> Scores:
    """Quintile scores, segments, predictions and churn bands of these customers."""
    values = rfm_values(summaries)
    r_score, f_score, m_score = (scores_from_cuts(values[k], plan.cuts[k]) for k in "RFM")
    expected = p_alive = value = None
    if plan.purchase_model is not None and summaries.size:
        model = BGNBDParams(**plan.purchase_model["params"])
        summary = purchase_summary(summaries)
        arrays = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T}
        p_alive = np.clip(model.probability_alive(**arrays), 0.0, 1.0)
        # A series that does not converge for some customers (extreme fitted
        # parameters) fails the whole batch; its values are then stored as
        # unknown (counted in non_finite) instead of failing the run.
        unknown = np.full(summaries.size, np.nan)
        try:
            expected = model.expected_purchases(PREDICTION_DAYS / DAYS_PER_WEEK, **arrays)
        except StatsError:
            expected = unknown
        if plan.spend_model is not None:
            try:
                value = customer_lifetime_value(
                    model, GammaGammaParams(**plan.spend_model["params"]),
                    monetary=summary.monetary, months=VALUE_MONTHS,
                    discount_rate=MONTHLY_DISCOUNT_RATE, time_unit="W", **arrays,
                )
            except StatsError:
                value = unknown
    return Scores(
        R=r_score, F=f_score, M=m_score,
        segment_codes=SEGMENT_GRID[r_score - 1, f_score - 1],
        expected_90d=expected, p_alive=p_alive, value_12m=value,
        churn_risk=churn_risk_bands(p_alive, r_score),
    )
