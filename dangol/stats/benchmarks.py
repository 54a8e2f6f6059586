"""Comparing one's own NPS, CSAT or CES with a published competitor or industry figure.

A benchmark is usually a single number from a report. Whether one's own score differs
from it by more than chance depends on both samples:

* with the benchmark's confidence interval, its standard error is the interval's
  half-width ÷ z;
* with only its sample size ``n``:

  - CSAT "% satisfied" is a proportion: ``SE = 100·sqrt(p(1 − p) / n)``, exact;
  - NPS needs the promoter and detractor shares, which a report rarely gives. Their
    sum is at most 1, so ``SE ≤ 100·sqrt((1 − d²) / n)`` with ``d`` = NPS / 100; the
    bound is used (a conservative test: it finds a difference less often);
  - a mean on a 1..k scale has a standard deviation of at most ``(k − 1) / 2``; the
    bound is used likewise;

* with neither, no test is possible; the comparison says so.

The test is a two-sided z-test on the difference (own − benchmark), the two samples
independent, so their variances add.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from dangol.stats.errors import InvalidSummaryError
from dangol.stats.survey import Interval

Metric = Literal["nps", "csat_top2", "csat_mean", "ces_mean"]
Basis = Literal["interval", "n", "n_bound", "none"]

#: The range of each metric's value.
RANGES: dict[str, tuple[float, float]] = {
    "nps": (-100.0, 100.0),
    "csat_top2": (0.0, 100.0),
    "csat_mean": (1.0, 5.0),
    "ces_mean": (1.0, 7.0),
}


@dataclass(frozen=True, slots=True)
class BenchmarkError:
    """The benchmark's standard error and what it rests on (``None`` when unknown)."""

    standard_error: float | None
    basis: Basis


@dataclass(frozen=True, slots=True)
class BenchmarkComparison:
    """Own − benchmark, its interval and test; ``significant`` is None without a test."""

    difference: float
    standard_error: float | None
    interval: Interval | None
    p_value: float | None
    significant: bool | None
    basis: Basis


def benchmark_standard_error(metric: str, value: float, *, n: int | None = None,
                             ci_low: float | None = None, ci_high: float | None = None,
                             confidence: float = 0.95) -> BenchmarkError:
    """The benchmark's standard error from its interval, else from its ``n``."""
    low_limit, high_limit = _range(metric)
    if ci_low is not None and ci_high is not None:
        if not ci_low <= value <= ci_high:
            raise InvalidSummaryError("the interval must contain the value", column="ci_low")
        return BenchmarkError((ci_high - ci_low) / (2.0 * _z(confidence)), "interval")
    if n is None:
        return BenchmarkError(None, "none")
    if n < 2:
        raise InvalidSummaryError("n must be at least 2", column="n")
    if not low_limit <= value <= high_limit:
        raise InvalidSummaryError(f"{metric} must be between {low_limit:g} and "
                                  f"{high_limit:g}", column="value")
    if metric == "csat_top2":
        share = value / 100.0
        return BenchmarkError(100.0 * math.sqrt(share * (1.0 - share) / n), "n")
    if metric == "nps":
        d = value / 100.0
        return BenchmarkError(100.0 * math.sqrt(max(1.0 - d * d, 0.0) / n), "n_bound")
    return BenchmarkError((high_limit - low_limit) / 2.0 / math.sqrt(n), "n_bound")


def compare_to_benchmark(*, own_value: float, own_standard_error: float, metric: str,
                         value: float, n: int | None = None, ci_low: float | None = None,
                         ci_high: float | None = None,
                         confidence: float = 0.95) -> BenchmarkComparison:
    """Own score against a benchmark: difference, interval, p-value, significance."""
    bench = benchmark_standard_error(metric, value, n=n, ci_low=ci_low, ci_high=ci_high,
                                     confidence=confidence)
    difference = own_value - value
    if bench.standard_error is None or not math.isfinite(own_standard_error):
        return BenchmarkComparison(difference, None, None, None, None, bench.basis)
    se = math.hypot(own_standard_error, bench.standard_error)
    if se == 0:
        p_value = 1.0 if difference == 0 else 0.0
        interval = Interval(difference, difference, confidence)
    else:
        p_value = float(2.0 * stats.norm.sf(abs(difference) / se))
        half = _z(confidence) * se
        interval = Interval(difference - half, difference + half, confidence)
    return BenchmarkComparison(difference, se, interval, p_value, p_value < 1.0 - confidence,
                               bench.basis)


def _range(metric: str) -> tuple[float, float]:
    if metric not in RANGES:
        raise InvalidSummaryError(f"unknown metric {metric!r}; use one of "
                                  f"{', '.join(RANGES)}", column="metric")
    return RANGES[metric]


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InvalidSummaryError("confidence must be between 0 and 1", column="confidence")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))
