"""Pareto/NBD: Schmittlein, Morrison & Colombo (1987), as estimated by Fader,
Hardie & Lee (2005).

While alive, a customer buys at Poisson rate λ ~ Gamma(r, α); the lifetime is
exponential with rate μ ~ Gamma(s, β).

The likelihood's hard part is the integral over the unobserved death time,

    A(u) = (r+s+x) ∫_u^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ,

which lifetimes and the literature write with Gauss' 2F1 and take as the
difference A(t_x) − A(T). Here A is summed, after Euler's transformation, as a
series with positive terms whose ratio is below z < 1 (see
:func:`dangol.stats._series.ratio_series`), in logs, with its derivatives, so
the fit has an analytic gradient. A depends on (x, u) only, so it is evaluated
once per distinct (x, t_x) and (x, T) pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from dangol.stats._grouping import GroupedCounts, pair_index
from dangol.stats._inputs import customer_arrays, times_array
from dangol.stats._mle import ModelFit, Objective, Stopwatch, maximize_likelihood
from dangol.stats._series import ratio_series
from dangol.stats._sums import weighted_rows, weighted_sum
from dangol.stats._types import FloatArray, IntArray
from dangol.stats.purchases import MIN_REPEAT_BUYERS, PurchaseSummary, require_repeat_buyers


@dataclass(frozen=True, slots=True)
class ParetoNBDParams:
    """Fitted Pareto/NBD parameters: rate ~ Gamma(r, alpha), death rate ~ Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float

    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "s": self.s, "beta": self.beta}

    def log_likelihood(self, summary: PurchaseSummary) -> float:
        """Total log-likelihood of a summary under these parameters."""
        grouped = summary.grouped()
        total = float(grouped.weight.sum())
        value, _ = _objective(grouped, total)(np.log(self._vector()))
        return -value * total

    def probability_alive(
        self,
        *,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """P(still a customer at T | x, t_x, T)."""
        x, t_x, age, shape = customer_arrays(frequency, recency, T)
        return self._alive(x, t_x, age).reshape(shape)

    def expected_purchases_if_alive(
        self, t: float, *, frequency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T."""
        x, _, age, shape = customer_arrays(frequency, 0.0, T)
        return self.if_alive_on_pairs(float(times_array(t)), x, age).reshape(shape)

    def expected_purchases(
        self,
        t: float,
        *,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """Expected purchases in the next ``t`` time units given (x, t_x, T)."""
        x, t_x, age, shape = customer_arrays(frequency, recency, T)
        if_alive = self.if_alive_on_pairs(float(times_array(t)), x, age)
        return (self._alive(x, t_x, age) * if_alive).reshape(shape)

    def expected_purchases_new_customer(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)]: repeat purchases in the first ``t`` time units of a new customer."""
        horizons = np.atleast_1d(times_array(t)).astype(np.float64)
        zeros = np.zeros_like(horizons)
        return self._if_alive(horizons, zeros, zeros).reshape(np.shape(t))

    def if_alive_on_pairs(self, t: float, x: FloatArray, age: FloatArray) -> FloatArray:
        """(r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)], elementwise.

        Cheap enough (two logs) to need no grouping; the name matches BG/NBD's.
        """
        return self._if_alive(np.full_like(age, t), x, age)

    def _if_alive(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        horizon = np.log1p(t / (self.beta + age))
        return (
            (self.r + x)
            * (self.beta + age)
            / (self.alpha + age)
            * _expm1_ratio(self.s - 1.0, horizon)
        )

    def _alive(self, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
        terms = _Terms.build(x, t_x, age)
        survive, integral, _, _ = terms.pieces(self._vector(), gradient=False)
        return np.exp(survive - np.logaddexp(survive, integral))

    def _vector(self) -> FloatArray:
        return np.array([self.r, self.alpha, self.s, self.beta])


def fit_pareto_nbd(
    summary: PurchaseSummary, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS
) -> ModelFit[ParetoNBDParams]:
    """Fit Pareto/NBD by maximum likelihood.

    Raises :class:`NotEnoughDataError` with fewer than ``min_repeat_buyers``
    customers who bought again, and :class:`ConvergenceError` when the
    likelihood has no interior maximum.
    """
    clock = Stopwatch()
    require_repeat_buyers(summary, min_repeat_buyers, "Pareto/NBD")
    grouped = summary.grouped()
    total = float(grouped.weight.sum())
    mean_age = float(np.mean(summary.T)) or 1.0
    mean_rate = float(np.mean(summary.frequency)) / mean_age
    start = np.log(np.array([1.0, 1.0 / max(mean_rate, 1e-6), 1.0, mean_age]))
    optimum = maximize_likelihood(
        _objective(grouped, total),
        start=start,
        names=ParetoNBDParams.names,
        total_weight=total,
        model="Pareto/NBD",
    )
    r, alpha, s, beta = (float(v) for v in np.exp(optimum.log_params))
    errors = dict(zip(ParetoNBDParams.names, map(float, optimum.standard_errors), strict=True))
    return ModelFit(
        model="pareto",
        params=ParetoNBDParams(r=r, alpha=alpha, s=s, beta=beta),
        log_likelihood=optimum.log_likelihood,
        standard_errors=errors,
        n_customers=summary.n_customers,
        n_groups=grouped.size,
        iterations=optimum.iterations,
        fit_seconds=clock.seconds(),
    )


def _expm1_ratio(c: float, horizon: FloatArray) -> FloatArray:
    """(1 − e^(−c·h)) / c, with its limit h at c = 0."""
    if c == 0.0:
        return horizon
    return -np.expm1(-c * horizon) / c


@dataclass(frozen=True, slots=True, eq=False)
class _Terms:
    """Rows (x, t_x, T) with the distinct (x, t_x) and (x, T) pairs that A needs."""

    x: FloatArray
    age: FloatArray
    last_x: FloatArray
    last_u: FloatArray
    last_of_row: IntArray
    end_x: FloatArray
    end_u: FloatArray
    end_of_row: IntArray

    @classmethod
    def build(cls, x: FloatArray, t_x: FloatArray, age: FloatArray) -> _Terms:
        last = pair_index(x, t_x)
        end = pair_index(x, age)
        return cls(
            x=x,
            age=age,
            last_x=last.first,
            last_u=last.second,
            last_of_row=last.inverse,
            end_x=end.first,
            end_u=end.second,
            end_of_row=end.inverse,
        )

    def pieces(
        self, params: FloatArray, *, gradient: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per row: log of the survival term, log of the death-in-(t_x, T) term,
        and (if ``gradient``) their derivatives with respect to (r, α, s, β).
        """
        r, alpha, s, beta = params
        x, age = self.x, self.age
        log_a = np.log(alpha + age)
        log_b = np.log(beta + age)
        survive = -(r + x) * log_a - s * log_b
        at_last, d_last = _log_tail(params, self.last_x, self.last_u)
        at_end, d_end = _log_tail(params, self.end_x, self.end_u)
        upper = at_last[self.last_of_row]
        lower = at_end[self.end_of_row]
        with np.errstate(divide="ignore"):
            # A(t_x) >= A(T); equality (t_x = T) leaves no room to die unseen.
            ratio = np.exp(np.minimum(lower - upper, 0.0))
            log_gap = upper + np.log1p(-ratio)
        integral = np.log(s) - np.log(r + s + x) + log_gap
        if not gradient:
            return survive, integral, np.empty(0), np.empty(0)
        d_survive = np.stack((-log_a, -(r + x) / (alpha + age), -log_b, -s / (beta + age)))
        with np.errstate(divide="ignore", invalid="ignore"):
            open_gap = ratio < 1.0
            scale = np.where(open_gap, 1.0 / (1.0 - ratio), 0.0)
            d_gap = (d_last[:, self.last_of_row] - ratio * d_end[:, self.end_of_row]) * scale
        inv_sum = 1.0 / (r + s + x)
        d_integral = d_gap
        d_integral[0] -= inv_sum
        d_integral[2] += 1.0 / s - inv_sum
        return survive, integral, d_survive, d_integral


def _log_tail(params: FloatArray, x: FloatArray, u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """log A(u) for distinct (x, u) rows and its gradient in (r, α, s, β) (shape 4 × n).

    α ≥ β: A = (α+u)^−(r+x) (β+u)^−s · 2F1(1, r+x; r+s+x+1; (α−β)/(α+u));
    α < β: A = (β+u)^−(s+1) (α+u)^−(r+x−1) · 2F1(1, s+1; r+s+x+1; (β−α)/(β+u)).
    Both 2F1 are sums of positive terms with 0 <= z < 1.
    """
    r, alpha, s, beta = params
    log_a = np.log(alpha + u)
    log_b = np.log(beta + u)
    q = r + s + x + 1.0
    if alpha >= beta:
        p = r + x
        z = (alpha - beta) / (alpha + u)
        series = ratio_series(p, q, z)
        value = -(r + x) * log_a - s * log_b + np.log(series.s0)
        slope = series.dz / series.s0
        d_r = -log_a + (series.dp - series.dq) / series.s0
        d_s = -log_b - series.dq / series.s0
        d_alpha = -(r + x) / (alpha + u) + slope * (beta + u) / (alpha + u) ** 2
        d_beta = -s / (beta + u) - slope / (alpha + u)
    else:
        p = np.full_like(x, s + 1.0)
        z = (beta - alpha) / (beta + u)
        series = ratio_series(p, q, z)
        value = -(s + 1.0) * log_b - (r + x - 1.0) * log_a + np.log(series.s0)
        slope = series.dz / series.s0
        d_r = -log_a - series.dq / series.s0
        d_s = -log_b + (series.dp - series.dq) / series.s0
        d_alpha = -(r + x - 1.0) / (alpha + u) - slope / (beta + u)
        d_beta = -(s + 1.0) / (beta + u) + slope * (alpha + u) / (beta + u) ** 2
    return value, np.stack((d_r, d_alpha, d_s, d_beta))


def _objective(grouped: GroupedCounts, total: float) -> Objective:
    """Mean negative log-likelihood and its gradient in log(r, α, s, β)."""
    terms = _Terms.build(grouped.x, grouped.recency, grouped.T)
    xv = grouped.x_values
    weight = grouped.weight
    weight_by_x = np.bincount(grouped.x_code, weights=weight, minlength=xv.shape[0]).astype(
        np.float64
    )

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        r, alpha, s, beta = params
        survive, integral, d_survive, d_integral = terms.pieces(params, gradient=True)
        both = np.logaddexp(survive, integral)
        share_integral = np.exp(integral - both)
        share_survive = 1.0 - share_integral
        log_lik = (
            weighted_sum(weight_by_x, gammaln(r + xv) - gammaln(r))
            + total * (r * np.log(alpha) + s * np.log(beta))
            + weighted_sum(weight, both)
        )
        mixed = d_survive * share_survive + np.where(share_integral > 0, d_integral, 0.0) * (
            share_integral
        )
        d_mixed = weighted_rows(mixed, weight)
        d_r = (
            weighted_sum(weight_by_x, digamma(r + xv) - digamma(r))
            + total * np.log(alpha)
            + d_mixed[0]
        )
        d_alpha = total * r / alpha + d_mixed[1]
        d_s = total * np.log(beta) + d_mixed[2]
        d_beta = total * s / beta + d_mixed[3]
        gradient = np.array([d_r, d_alpha, d_s, d_beta]) * params
        return float(-log_lik / total), -gradient / total

    return objective
