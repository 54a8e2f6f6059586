"""Survey statistics: NPS, KNPS, CSAT and CES with their intervals and change tests.

All functions are pure and take raw answers or counts per answer.

* NPS (0-10): % promoters (9-10) minus % detractors (0-6). Promoter and
  detractor shares come from one multinomial sample, so the variance of their
  difference is (p_pro + p_det − (p_pro − p_det)²) / n; the interval is the
  normal one, in points and clipped to [−100, 100].
* KNPS (1-7, the Korean 7-point variant): % answering 6-7 minus % 1-4.
* CSAT (1-5) and CES (1-7): mean with a Student-t interval, and the top-box and
  top-2-box shares with Wilson score intervals.
* Change between two independent periods: a z-test on the NPS difference
  (variances add) and Welch's t-test on means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from dangol.stats._types import FloatArray, IntArray
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided confidence interval."""

    low: float
    high: float
    confidence: float


@dataclass(frozen=True, slots=True)
class NPSResult:
    """Net promoter score in points (−100..100) with its standard error and interval."""

    score: float
    n: int
    promoters: int
    passives: int
    detractors: int
    standard_error: float
    interval: Interval


@dataclass(frozen=True, slots=True)
class Proportion:
    """A share of answers with its Wilson score interval."""

    estimate: float
    count: int
    n: int
    interval: Interval


@dataclass(frozen=True, slots=True)
class ScaleSummary:
    """Mean of a rating scale (t interval) and its top-box and top-2-box shares.

    ``std`` is the sample standard deviation (n − 1); with a single answer it,
    the standard error and the interval are ``nan``.
    """

    n: int
    mean: float
    std: float
    standard_error: float
    interval: Interval
    top_box: Proportion
    top2_box: Proportion


@dataclass(frozen=True, slots=True)
class ChangeTest:
    """Difference (after − before) with its standard error, test and interval.

    ``df`` is the Welch degrees of freedom for means and ``None`` for the
    z-test on NPS.
    """

    difference: float
    standard_error: float
    statistic: float
    p_value: float
    interval: Interval
    df: float | None


def nps(scores: npt.ArrayLike, *, confidence: float = 0.95) -> NPSResult:
    """NPS of 0-10 answers. Raises :class:`InvalidSummaryError` for other values."""
    counts = _counts(scores, low=0, high=10, column="NPS scores")
    return nps_from_counts(
        promoters=int(counts[9:].sum()),
        passives=int(counts[7:9].sum()),
        detractors=int(counts[:7].sum()),
        confidence=confidence,
    )


def knps(scores: npt.ArrayLike, *, confidence: float = 0.95) -> NPSResult:
    """KNPS of 1-7 answers: 6-7 promote, 5 is passive, 1-4 detract."""
    counts = _counts(scores, low=1, high=7, column="KNPS scores")
    return nps_from_counts(
        promoters=int(counts[5:].sum()),
        passives=int(counts[4]),
        detractors=int(counts[:4].sum()),
        confidence=confidence,
    )


def nps_from_counts(
    *, promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> NPSResult:
    """NPS from the number of promoters, passives and detractors."""
    for name, value in (
        ("promoters", promoters),
        ("passives", passives),
        ("detractors", detractors),
    ):
        if value < 0:
            raise InvalidSummaryError(f"{name} must not be negative, found {value}", column=name)
    n = promoters + passives + detractors
    if n == 0:
        raise NotEnoughDataError("NPS needs at least one answer")
    share_pro = promoters / n
    share_det = detractors / n
    difference = share_pro - share_det
    variance = (share_pro + share_det - difference**2) / n
    standard_error = 100.0 * math.sqrt(max(variance, 0.0))
    half = _normal_quantile(confidence) * standard_error
    score = 100.0 * difference
    return NPSResult(
        score=score,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        standard_error=standard_error,
        interval=Interval(max(score - half, -100.0), min(score + half, 100.0), confidence),
    )


def compare_nps(before: NPSResult, after: NPSResult, *, confidence: float = 0.95) -> ChangeTest:
    """Two-sided z-test of NPS change between two independent samples (in points)."""
    difference = after.score - before.score
    standard_error = math.hypot(before.standard_error, after.standard_error)
    statistic = _ratio(difference, standard_error)
    p_value = float(2.0 * stats.norm.sf(abs(statistic)))
    half = _normal_quantile(confidence) * standard_error
    return ChangeTest(
        difference=difference,
        standard_error=standard_error,
        statistic=statistic,
        p_value=p_value,
        interval=Interval(difference - half, difference + half, confidence),
        df=None,
    )


def wilson_interval(successes: int, n: int, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n``."""
    if n <= 0:
        raise NotEnoughDataError("a proportion needs at least one answer")
    if not 0 <= successes <= n:
        raise InvalidSummaryError(
            f"successes must be between 0 and n={n}, found {successes}", column="successes"
        )
    z = _normal_quantile(confidence)
    share = successes / n
    denominator = 1.0 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    # At 0 or n successes one end is exactly 0 or 1; rounding would miss it.
    low = 0.0 if successes == 0 else max(centre - half, 0.0)
    high = 1.0 if successes == n else min(centre + half, 1.0)
    return Interval(low, high, confidence)


def csat(scores: npt.ArrayLike, *, scale_max: int = 5, confidence: float = 0.95) -> ScaleSummary:
    """CSAT on 1..scale_max (5 by default): mean, top box (5) and top 2 boxes (4-5)."""
    return scale_summary(scores, low=1, high=scale_max, confidence=confidence)


def ces(scores: npt.ArrayLike, *, scale_max: int = 7, confidence: float = 0.95) -> ScaleSummary:
    """CES on 1..scale_max (7 by default, higher = easier): mean and top-box shares."""
    return scale_summary(scores, low=1, high=scale_max, confidence=confidence)


def scale_summary(
    scores: npt.ArrayLike, *, low: int, high: int, confidence: float = 0.95
) -> ScaleSummary:
    """Summary of whole-number answers on low..high."""
    counts = _counts(scores, low=low, high=high, column="scores")
    return scale_summary_from_counts(counts, low=low, confidence=confidence)


def scale_summary_from_counts(
    counts: npt.ArrayLike, *, low: int, confidence: float = 0.95
) -> ScaleSummary:
    """Summary from ``counts[i]`` = number of answers equal to ``low + i``."""
    tally = np.asarray(counts, dtype=np.int64)
    if tally.ndim != 1 or tally.shape[0] < 2:
        raise InvalidSummaryError("counts must list at least two scale points", column="counts")
    if np.any(tally < 0):
        raise InvalidSummaryError("counts must not be negative", column="counts")
    n = int(tally.sum())
    if n == 0:
        raise NotEnoughDataError("a scale summary needs at least one answer")
    values = low + np.arange(tally.shape[0], dtype=np.float64)
    mean = float(tally @ values) / n
    if n > 1:
        std = math.sqrt(float(tally @ (values - mean) ** 2) / (n - 1))
        standard_error = std / math.sqrt(n)
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * standard_error
    else:
        std = standard_error = half = math.nan
    top = int(tally[-1])
    top2 = int(tally[-2:].sum())
    return ScaleSummary(
        n=n,
        mean=mean,
        std=std,
        standard_error=standard_error,
        interval=Interval(mean - half, mean + half, confidence),
        top_box=Proportion(top / n, top, n, wilson_interval(top, n, confidence=confidence)),
        top2_box=Proportion(top2 / n, top2, n, wilson_interval(top2, n, confidence=confidence)),
    )


def compare_means(
    before: ScaleSummary, after: ScaleSummary, *, confidence: float = 0.95
) -> ChangeTest:
    """Welch's two-sided t-test of the change in mean score (after − before)."""
    if before.n < 2 or after.n < 2:
        raise NotEnoughDataError("comparing means needs at least two answers in each period")
    var_before = before.std**2 / before.n
    var_after = after.std**2 / after.n
    difference = after.mean - before.mean
    standard_error = math.sqrt(var_before + var_after)
    if standard_error > 0:
        df = (var_before + var_after) ** 2 / (
            var_before**2 / (before.n - 1) + var_after**2 / (after.n - 1)
        )
    else:
        df = float(before.n + after.n - 2)
    statistic = _ratio(difference, standard_error)
    p_value = float(2.0 * stats.t.sf(abs(statistic), df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * standard_error
    return ChangeTest(
        difference=difference,
        standard_error=standard_error,
        statistic=statistic,
        p_value=p_value,
        interval=Interval(difference - half, difference + half, confidence),
        df=df,
    )


def _counts(scores: npt.ArrayLike, *, low: int, high: int, column: str) -> IntArray:
    """Answers per scale point, after checking every answer is a whole number in range."""
    values: FloatArray = np.asarray(scores, dtype=np.float64).ravel()
    bad = np.flatnonzero(
        ~np.isfinite(values) | (values != np.round(values)) | (values < low) | (values > high)
    )
    if bad.size:
        row = int(bad[0])
        raise InvalidSummaryError(
            f"{column} must be whole numbers from {low} to {high}, found {values[row]:g}",
            column=column,
            row=row,
            count=int(bad.size),
        )
    return np.bincount(values.astype(np.int64) - low, minlength=high - low + 1)


def _normal_quantile(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InvalidSummaryError(
            f"confidence must be between 0 and 1, found {confidence}", column="confidence"
        )
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _ratio(difference: float, standard_error: float) -> float:
    """difference / standard_error, with 0/0 = 0 and x/0 = ±inf."""
    if standard_error > 0:
        return difference / standard_error
    return 0.0 if difference == 0 else math.copysign(math.inf, difference)
