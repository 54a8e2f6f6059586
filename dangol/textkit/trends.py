"""Keyword aggregation by period, emerging topics and negative spikes.

The tests are exact conditional binomial tests: given that a term was seen
``n = recent + baseline`` times, under "nothing changed" the recent window
gets each occurrence with probability ``recent_total / (recent_total +
baseline_total)``. Small counts are handled exactly (no normal
approximation), and Benjamini-Hochberg keeps the false discovery rate at
``alpha`` when hundreds of terms are tested at once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Emerging",
    "KeywordStat",
    "NegativeSpike",
    "binomial_sf",
    "detect_emerging",
    "detect_negative_spikes",
    "top_keywords_by_period",
]


@dataclass(frozen=True, slots=True)
class KeywordStat:
    """How often a keyword appeared in a period and how people felt when it did."""

    period: Hashable
    keyword: str
    count: int
    mean_sentiment: float
    negative_share: float


def top_keywords_by_period(
    records: Iterable[tuple[Hashable, Sequence[str], float]],
    top: int = 20,
    min_count: int = 1,
    negative_below: float = -0.3,
) -> dict[Hashable, list[KeywordStat]]:
    """Top keywords per period from ``(period, keywords, sentiment score)`` records.

    A keyword counts once per comment. ``negative_share`` is the share of its
    comments scoring below ``negative_below``. Results are sorted by count,
    then keyword.
    """
    count: dict[Hashable, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total: dict[Hashable, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    negative: dict[Hashable, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for period, words, score in records:
        for kw in set(words):
            count[period][kw] += 1
            total[period][kw] += score
            if score < negative_below:
                negative[period][kw] += 1
    out: dict[Hashable, list[KeywordStat]] = {}
    for period, counts in count.items():
        ranked = sorted(
            (kw for kw, c in counts.items() if c >= min_count), key=lambda kw: (-counts[kw], kw)
        )[:top]
        out[period] = [
            KeywordStat(
                period,
                kw,
                counts[kw],
                round(total[period][kw] / counts[kw], 3),
                round(negative[period][kw] / counts[kw], 3),
            )
            for kw in ranked
        ]
    return out


@dataclass(frozen=True, slots=True)
class Emerging:
    """A term whose recent frequency rose significantly above its baseline."""

    term: str
    recent: int
    baseline: int
    expected: float
    rate_ratio: float
    p_value: float
    q_value: float


@dataclass(frozen=True, slots=True)
class NegativeSpike:
    """A term (or theme) whose share of negative comments rose significantly."""

    term: str
    recent_negative: int
    recent_total: int
    recent_share: float
    baseline_share: float
    p_value: float
    q_value: float


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-13:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def binomial_sf(k: int, n: int, p: float) -> float:
    """``P(X >= k)`` for ``X ~ Binomial(n, p)``."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, max(0.0, _betainc(float(k), float(n - k + 1), p)))


def _bh(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def detect_emerging(
    recent_counts: Mapping[str, int],
    baseline_counts: Mapping[str, int],
    *,
    recent_total: int | None = None,
    baseline_total: int | None = None,
    min_count: int = 5,
    min_ratio: float = 1.5,
    alpha: float = 0.01,
) -> list[Emerging]:
    """Terms that grew significantly in the recent window, strongest first.

    ``*_total`` are the window sizes (e.g. numbers of comments); by default the
    sums of the counts. A term needs ``min_count`` recent occurrences, a rate
    ratio (with half a count added to the baseline, so new terms have a finite
    ratio) of at least ``min_ratio`` and a BH q-value at most ``alpha``.
    """
    r_total = recent_total if recent_total is not None else sum(recent_counts.values())
    b_total = baseline_total if baseline_total is not None else sum(baseline_counts.values())
    if r_total <= 0:
        return []
    if b_total <= 0:
        b_total = 1
    share = r_total / (r_total + b_total)
    rows: list[tuple[str, int, int, float, float]] = []
    for term, r in recent_counts.items():
        b = int(baseline_counts.get(term, 0))
        n = r + b
        p = binomial_sf(r, n, share)
        ratio = (r / r_total) / ((b + 0.5) / b_total)
        rows.append((term, r, b, ratio, p))
    qs = _bh([row[4] for row in rows])
    out = [
        Emerging(term, r, b, round((r + b) * share, 3), round(ratio, 3), p, q)
        for (term, r, b, ratio, p), q in zip(rows, qs, strict=True)
        if r >= min_count and ratio >= min_ratio and q <= alpha
    ]
    out.sort(key=lambda e: (e.p_value, -e.rate_ratio, e.term))
    return out


def detect_negative_spikes(
    recent: Mapping[str, tuple[int, int]],
    baseline: Mapping[str, tuple[int, int]],
    *,
    min_count: int = 5,
    min_increase: float = 0.1,
    alpha: float = 0.01,
) -> list[NegativeSpike]:
    """Terms or themes whose negative share rose significantly.

    Both mappings give ``(negative comments, all comments)`` per term. The
    baseline share is smoothed with one pseudo-comment of each kind, so a
    term never seen before is compared with 50 %, not 0 %.
    """
    rows: list[tuple[str, int, int, float, float, float]] = []
    for term, (neg, tot) in recent.items():
        if tot <= 0:
            continue
        b_neg, b_tot = baseline.get(term, (0, 0))
        p0 = (b_neg + 1.0) / (b_tot + 2.0)
        rows.append((term, neg, tot, neg / tot, p0, binomial_sf(neg, tot, p0)))
    qs = _bh([row[5] for row in rows])
    out = [
        NegativeSpike(term, neg, tot, round(share, 4), round(p0, 4), p, q)
        for (term, neg, tot, share, p0, p), q in zip(rows, qs, strict=True)
        if neg >= min_count and share - p0 >= min_increase and q <= alpha
    ]
    out.sort(key=lambda s: (s.p_value, s.term))
    return out
