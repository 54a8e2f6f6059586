"""Key-driver analysis: which attributes and which themes move NPS or CSAT most.

* Attribute drivers: Johnson's relative weights (Johnson 2000, "A heuristic
  method for estimating the relative weight of predictor variables in multiple
  regression"). The correlated attribute ratings are replaced by their closest
  orthogonal counterparts Z = X R^(-1/2); the outcome is regressed on Z (β) and
  each attribute on Z (Λ = R^(1/2)); attribute j's weight is Σ_k Λ_jk² β_k².
  The weights are shares of the model R²: they add up to the R² of ordinary
  least squares, and with uncorrelated attributes each one is the squared
  correlation. Missing ratings are allowed; the analysis uses the responses
  that rated every attribute (complete cases) and reports how many. Each
  weight's 95 % interval is a percentile bootstrap with a fixed seed.
* Theme drivers: the score of responses that mention a theme negatively
  against the rest, the gap with its interval, and the impact
  share × gap — the points the whole survey would gain if the issue were gone
  (those responses would then score like the rest).
* Priority quadrants: importance against performance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from dangol.stats._types import FloatArray
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError
from dangol.stats.survey import (
    Interval,
    compare_means,
    compare_nps,
    nps,
    scale_summary,
)

#: Fewest complete responses for attribute drivers, and fewest per attribute beyond it.
MIN_RESPONSES = 30
MIN_RESPONSES_PER_MODEL = 10
#: Fewest negative mentions for a theme's gap to be shown.
MIN_MENTIONS = 5
#: Bootstrap work (distinct rows × moments × resamples) above which fewer resamples are
#: drawn, down to MIN_RESAMPLES: about a second on one core. Intervals are narrow there.
MAX_BOOTSTRAP_WORK = 10**9
MIN_RESAMPLES = 200
# Eigenvalues of the attributes' correlation matrix below this (relative to the
# largest) are treated as zero: perfectly collinear attributes share their weight.
_EIGEN_TOLERANCE = 1e-10


class TooFewResponsesError(NotEnoughDataError):
    """Fewer complete responses than an analysis needs; ``n`` found, ``needed`` required."""

    def __init__(self, message: str, *, n: int, needed: int) -> None:
        self.n = n
        self.needed = needed
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AttributeDriver:
    """One attribute's importance.

    ``weight`` is Johnson's relative weight (a part of R², 0..R²), ``share``
    the same as a part of 1 (weight / R²); ``interval`` and ``share_interval``
    are their bootstrap intervals (the share's from each resample's own R²);
    ``correlation`` is Pearson's r with the outcome and
    ``mean`` the attribute's mean rating, both over the complete responses.
    """

    name: str
    weight: float
    share: float
    interval: Interval
    share_interval: Interval
    correlation: float
    mean: float


@dataclass(frozen=True, slots=True)
class AttributeDrivers:
    """Relative weights of every attribute, most important first.

    ``resamples`` is the number of bootstrap samples drawn (fewer than asked
    for very large inputs, see :data:`MAX_BOOTSTRAP_WORK`).
    """

    n: int
    r_squared: float
    drivers: tuple[AttributeDriver, ...]
    resamples: int


@dataclass(frozen=True, slots=True)
class ThemeDriver:
    """The score of responses mentioning a theme negatively against the rest.

    ``gap`` is rest − mentioning (positive when the theme pulls the score
    down), ``impact`` = ``share`` × ``gap``: the points the overall score would
    gain if the mentioning responses scored like the rest. The impact
    interval takes the share as fixed.
    """

    name: str
    mentions: int
    share: float
    score: float
    rest_score: float
    gap: float
    gap_interval: Interval
    impact: float
    impact_interval: Interval


@dataclass(frozen=True, slots=True)
class ThemeDrivers:
    """Theme drivers by impact, largest first; ``too_few`` lists (theme, mentions) left out."""

    n: int
    scale: str
    overall: float
    drivers: tuple[ThemeDriver, ...]
    too_few: tuple[tuple[str, int], ...]


class Quadrant(StrEnum):
    FIX_FIRST = "fix_first"  # important, rated low
    KEEP_UP = "keep_up"  # important, rated high
    LOWER_PRIORITY = "lower_priority"  # less important, rated low
    POSSIBLE_OVERKILL = "possible_overkill"  # less important, rated high


# Attribute drivers -------------------------------------------------------------


def attribute_drivers(
    outcome: npt.ArrayLike,
    attributes: Mapping[str, npt.ArrayLike],
    *,
    resamples: int = 500,
    seed: int = 20000,
    confidence: float = 0.95,
    min_responses: int = MIN_RESPONSES,
) -> AttributeDrivers:
    """Relative weights of ``attributes`` (name → one rating per response) for ``outcome``.

    ``nan`` marks a missing answer; only responses with the outcome and every
    attribute count. Raises :class:`InvalidSummaryError` for arrays of
    different lengths, infinite values, or an attribute (or outcome) with the
    same value in every complete response (naming it), and
    :class:`TooFewResponsesError` with fewer than ``min_responses`` complete
    responses or fewer than attributes + 10.
    """
    if not attributes:
        raise InvalidSummaryError("give at least one attribute", column="attributes")
    if not 0.0 < confidence < 1.0:
        raise InvalidSummaryError(
            f"confidence must be between 0 and 1, found {confidence}", column="confidence")
    if resamples < 1:
        raise InvalidSummaryError(
            f"resamples must be at least 1, found {resamples}", column="resamples")
    names = list(attributes)
    y = _column(outcome, "outcome")
    columns = [y]
    for name in names:
        column = _column(attributes[name], name)
        if column.shape[0] != y.shape[0]:
            raise InvalidSummaryError(
                f"attribute {name!r} has {column.shape[0]} values but the outcome has "
                f"{y.shape[0]}; give one value per response", column=name)
        columns.append(column)
    data = np.column_stack(columns)
    data = data[~np.isnan(data).any(axis=1)]
    n, k = data.shape[0], len(names)
    needed = max(min_responses, k + MIN_RESPONSES_PER_MODEL)
    if n < needed:
        raise TooFewResponsesError(
            f"attribute drivers need at least {needed} responses that answered the outcome "
            f"and every attribute; found {n}", n=n, needed=needed)
    spread = data.std(axis=0)
    for index, label in enumerate(["outcome", *names]):
        if spread[index] == 0:
            what = "the outcome" if index == 0 else f"attribute {label!r}"
            raise InvalidSummaryError(
                f"{what} has the same value ({data[0, index]:g}) in all {n} complete "
                "responses, so it cannot explain or be explained", column=label)
    corr: FloatArray = np.atleast_2d(np.corrcoef(data, rowvar=False))
    weights, r_squared = _relative_weights(corr[np.newaxis])
    boot = _bootstrap_weights(data, resamples=resamples, seed=seed,
                              max_work=MAX_BOOTSTRAP_WORK)
    resamples = boot.shape[0]
    tail = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(boot, [tail, 1.0 - tail], axis=0)
    boot_total = boot.sum(axis=1, keepdims=True)
    shares = np.divide(boot, boot_total, out=np.full_like(boot, np.nan), where=boot_total > 0)
    share_low, share_high = np.nanquantile(shares, [tail, 1.0 - tail], axis=0)
    means = data[:, 1:].mean(axis=0)
    total = float(r_squared[0])
    drivers = [
        AttributeDriver(
            name=name,
            weight=float(weights[0, j]),
            share=float(weights[0, j] / total) if total > 0 else 0.0,
            interval=Interval(float(low[j]), float(high[j]), confidence),
            share_interval=Interval(float(share_low[j]), float(share_high[j]), confidence),
            correlation=float(corr[0, j + 1]),
            mean=float(means[j]),
        )
        for j, name in enumerate(names)
    ]
    drivers.sort(key=lambda d: (-d.weight, d.name))
    return AttributeDrivers(n=n, r_squared=total, drivers=tuple(drivers), resamples=resamples)


def relative_weights(correlations: npt.ArrayLike) -> tuple[FloatArray, float]:
    """Johnson's weights from a correlation matrix whose first row and column is the outcome.

    Returns (weights of the other variables, R²).
    """
    corr = np.asarray(correlations, dtype=np.float64)
    if corr.ndim != 2 or corr.shape[0] != corr.shape[1] or corr.shape[0] < 2:
        raise InvalidSummaryError("give a square correlation matrix of at least 2 × 2",
                                  column="correlations")
    weights, r_squared = _relative_weights(corr[np.newaxis])
    return weights[0], float(r_squared[0])


def _column(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        column = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSummaryError(f"{name} must hold numbers", column=name) from None
    if column.ndim != 1:
        raise InvalidSummaryError(f"{name} must be one value per response", column=name)
    bad = np.flatnonzero(np.isinf(column))
    if bad.size:
        raise InvalidSummaryError(f"{name} must be finite numbers or nan for missing",
                                  column=name, row=int(bad[0]), count=int(bad.size))
    return column


def _relative_weights(corr: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weights (B × k) and R² (B) for a stack of (k + 1) × (k + 1) correlation matrices."""
    rxx = corr[:, 1:, 1:]
    rxy = corr[:, 1:, 0]
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0.0, None)
    root = np.sqrt(values)
    keep = values > _EIGEN_TOLERANCE * values.max(axis=1, keepdims=True)
    inverse_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    # Λ = R^(1/2); β = R^(-1/2) r_xy, the outcome regressed on the orthogonal Z.
    lam = np.einsum("bij,bj,bkj->bik", vectors, root, vectors)
    beta = np.einsum("bij,bj,bkj,bk->bi", vectors, inverse_root, vectors, rxy)
    weights = np.einsum("bjk,bk->bj", lam**2, beta**2)
    return weights, (beta**2).sum(axis=1)


def _bootstrap_weights(data: FloatArray, *, resamples: int, seed: int,
                       max_work: int) -> FloatArray:
    """Relative weights of bootstrap samples (rows: resamples).

    ``resamples`` are drawn, or as many as ``max_work`` allows but at least
    :data:`MIN_RESAMPLES` (or ``resamples`` if smaller).

    Ratings repeat, so the rows are reduced to distinct rows with counts and
    each resample draws multinomial counts of those: its moments are one
    matrix product, however many responses there are. A resample in which a
    column happens to be constant gives ``nan`` weights and is left out of
    the interval.
    """
    rows, counts = np.unique(data, axis=0, return_counts=True)
    n = data.shape[0]
    rng = np.random.default_rng(seed)
    width = data.shape[1]
    upper = np.triu_indices(width)
    products = rows[:, upper[0]] * rows[:, upper[1]]
    affordable = max_work // max(rows.shape[0] * products.shape[1], 1)
    resamples = min(resamples, max(affordable, MIN_RESAMPLES))
    out = np.empty((resamples, width - 1))
    chunk = max(1, min(resamples, 2_000_000 // max(rows.shape[0], 1)))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.multinomial(n, counts / n, size=size).astype(np.float64) / n
        first = draws @ rows  # size × width
        second = np.zeros((size, width, width))
        second[:, upper[0], upper[1]] = draws @ products
        second = second + np.triu(second, 1).transpose(0, 2, 1)
        cov = second - first[:, :, np.newaxis] * first[:, np.newaxis, :]
        sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
        ok = (sd > 1e-12).all(axis=1)
        weights = np.full((size, width - 1), np.nan)
        if ok.any():
            scale = sd[ok]
            corr = cov[ok] / (scale[:, :, np.newaxis] * scale[:, np.newaxis, :])
            weights[ok] = _relative_weights(corr)[0]
        out[start:start + size] = weights
    return out


# Theme drivers -----------------------------------------------------------------


def theme_drivers(
    scores: npt.ArrayLike,
    mentions: Mapping[str, npt.ArrayLike],
    *,
    scale: Literal["nps", "mean"] = "nps",
    low: int = 0,
    high: int = 10,
    min_mentions: int = MIN_MENTIONS,
    confidence: float = 0.95,
) -> ThemeDrivers:
    """Gap and impact of each theme (name → one flag per response: mentioned negatively).

    ``scale`` "nps" compares NPS (answers 0-10) with the z interval of
    :func:`compare_nps`; "mean" compares mean scores on ``low``..``high`` with
    Welch's interval of :func:`compare_means`. Themes with fewer than
    ``min_mentions`` mentions, or mentioned by every response, are listed in
    ``too_few``. Raises :class:`InvalidSummaryError` for flags of another length
    or answers off the scale, :class:`NotEnoughDataError` without answers.
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    if values.size == 0:
        raise NotEnoughDataError("theme drivers need at least one answer")
    if scale == "nps":
        overall = nps(values, confidence=confidence).score
    elif scale == "mean":
        overall = scale_summary(values, low=low, high=high, confidence=confidence).mean
    else:
        raise InvalidSummaryError(f"scale must be 'nps' or 'mean', found {scale!r}",
                                  column="scale")
    n = values.size
    floor = max(min_mentions, 1 if scale == "nps" else 2)
    drivers: list[ThemeDriver] = []
    too_few: list[tuple[str, int]] = []
    for name, flags in mentions.items():
        mask = np.asarray(flags, dtype=bool).ravel()
        if mask.size != n:
            raise InvalidSummaryError(
                f"theme {name!r} has {mask.size} flags but there are {n} answers", column=name)
        count = int(mask.sum())
        if count < floor or n - count < floor:
            too_few.append((name, count))
            continue
        drivers.append(_theme_driver(name, values[mask], values[~mask], scale=scale, low=low,
                                     high=high, share=count / n, confidence=confidence))
    drivers.sort(key=lambda d: (-d.impact, d.name))
    too_few.sort(key=lambda item: (-item[1], item[0]))
    return ThemeDrivers(n=n, scale=scale, overall=overall, drivers=tuple(drivers),
                        too_few=tuple(too_few))


def _theme_driver(name: str, mentioned: FloatArray, rest: FloatArray, *, scale: str, low: int,
                  high: int, share: float, confidence: float) -> ThemeDriver:
    if scale == "nps":
        with_theme, without = nps(mentioned, confidence=confidence), nps(rest,
                                                                        confidence=confidence)
        test = compare_nps(with_theme, without, confidence=confidence)
        score, rest_score = with_theme.score, without.score
    else:
        first = scale_summary(mentioned, low=low, high=high, confidence=confidence)
        second = scale_summary(rest, low=low, high=high, confidence=confidence)
        test = compare_means(first, second, confidence=confidence)
        score, rest_score = first.mean, second.mean
    gap = test.difference
    return ThemeDriver(
        name=name, mentions=int(mentioned.size), share=share, score=score,
        rest_score=rest_score, gap=gap, gap_interval=test.interval, impact=share * gap,
        impact_interval=Interval(share * test.interval.low, share * test.interval.high,
                                 confidence),
    )


# Priority quadrants ------------------------------------------------------------


def priority_quadrants(
    importance: Sequence[float],
    performance: Sequence[float],
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> list[Quadrant]:
    """Quadrant of each attribute: importance against performance (e.g. mean rating).

    The cuts default to the mean importance and the mean performance of the
    attributes given; a value equal to a cut counts as high. Performance of
    attributes on different scales should be put on one scale first (e.g. 0-1).
    """
    imp = np.asarray(importance, dtype=np.float64).ravel()
    perf = np.asarray(performance, dtype=np.float64).ravel()
    if imp.size != perf.size:
        raise InvalidSummaryError(
            f"{imp.size} importances but {perf.size} performances; give one of each "
            "per attribute", column="performance")
    if imp.size == 0:
        return []
    if not (np.isfinite(imp).all() and np.isfinite(perf).all()):
        raise InvalidSummaryError("importance and performance must be finite numbers",
                                  column="importance")
    imp_cut = float(imp.mean()) if importance_cut is None else importance_cut
    perf_cut = float(perf.mean()) if performance_cut is None else performance_cut
    # Means of equal values can differ from them in the last bit.
    imp_cut -= 1e-12 * max(1.0, abs(imp_cut))
    perf_cut -= 1e-12 * max(1.0, abs(perf_cut))
    found = []
    for i, p in zip(imp, perf, strict=True):
        important, good = bool(i >= imp_cut), bool(p >= perf_cut)
        if important:
            found.append(Quadrant.KEEP_UP if good else Quadrant.FIX_FIRST)
        else:
            found.append(Quadrant.POSSIBLE_OVERKILL if good else Quadrant.LOWER_PRIORITY)
    return found
