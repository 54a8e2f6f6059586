"""Difference of two proportions with an honest interval.

Newcombe's hybrid score interval (method 10 of Newcombe 1998) built on the
Wilson intervals of ``dangol.stats``: it keeps its coverage with small groups
and rates near 0, where the plain normal (Wald) interval does not. The p-value
is the two-sided pooled z-test (campaign uplift: messaged vs holdout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from dangol.stats.survey import Interval, wilson_interval


@dataclass(frozen=True)
class Uplift:
    treated_rate: float
    control_rate: float
    difference: float
    interval: Interval
    p_value: float


def uplift(treated: int, treated_n: int, control: int, control_n: int, *,
           confidence: float = 0.95) -> Uplift | None:
    """Rate difference treated − control; None when a group is empty."""
    if treated_n <= 0 or control_n <= 0:
        return None
    p1, p2 = treated / treated_n, control / control_n
    w1 = wilson_interval(treated, treated_n, confidence=confidence)
    w2 = wilson_interval(control, control_n, confidence=confidence)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = difference + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    pooled = (treated + control) / (treated_n + control_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / treated_n + 1 / control_n))
    p_value = 1.0 if se == 0 else float(2 * stats.norm.sf(abs(difference) / se))
    return Uplift(p1, p2, difference, Interval(max(low, -1.0), min(high, 1.0), confidence),
                  p_value)
