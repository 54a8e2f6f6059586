"""BG/NBD: the beta-geometric / negative-binomial model of repeat purchasing.

Fader, Hardie & Lee (2005), "Counting your customers the easy way". While
alive, a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat
purchase the customer leaves for good with probability p ~ Beta(a, b).

Fitting maximises the likelihood over distinct (frequency, recency, T) rows
weighted by their customer counts, with the analytic gradient in log
parameters. Predictions factor into P(alive | x, t_x, T) times the expected
purchases of a customer known to be alive, which depends on (x, T) only and is
therefore computed once per distinct pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln, hyp2f1

from dangol.stats._grouping import GroupedCounts, pair_index
from dangol.stats._inputs import customer_arrays, times_array
from dangol.stats._mle import ModelFit, Objective, Stopwatch, maximize_likelihood
from dangol.stats._series import bgnbd_tail
from dangol.stats._sums import weighted_sum
from dangol.stats._types import FloatArray
from dangol.stats.purchases import MIN_REPEAT_BUYERS, PurchaseSummary, require_repeat_buyers

# From this a on, expectations treat the dropout probability as fixed at its
# posterior mean (see BGNBDParams.if_alive_on_pairs): the relative difference is
# of the order 1/a.
POINT_MASS_A = 1e5


@dataclass(frozen=True, slots=True)
class BGNBDParams:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def log_likelihood(self, summary: PurchaseSummary) -> float:
        """Total log-likelihood of a summary under these parameters."""
        grouped = summary.grouped()
        value, _ = _objective(grouped, float(grouped.weight.sum()))(self._log_params())
        return -value * float(grouped.weight.sum())

    def probability_alive(
        self,
        *,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """P(still a customer at T | x, t_x, T); 1 for customers without repeat purchases."""
        x, t_x, age, shape = customer_arrays(frequency, recency, T)
        return self._alive(x, t_x, age).reshape(shape)

    def expected_purchases_if_alive(
        self, t: float, *, frequency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] of a customer known to be alive at T."""
        x, _, age, shape = customer_arrays(frequency, 0.0, T)
        pairs = pair_index(x, age)
        values = self.if_alive_on_pairs(float(times_array(t)), pairs.first, pairs.second)
        return values[pairs.inverse].reshape(shape)

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
        pairs = pair_index(x, age)
        per_pair = self.if_alive_on_pairs(float(times_array(t)), pairs.first, pairs.second)
        return (self._alive(x, t_x, age) * per_pair[pairs.inverse]).reshape(shape)

    def expected_purchases_new_customer(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)]: repeat purchases in the first ``t`` time units of a new customer."""
        horizons = np.atleast_1d(times_array(t)).ravel()
        zeros = np.zeros(1)
        values = [self.if_alive_on_pairs(float(h), zeros, zeros)[0] for h in horizons]
        return np.asarray(values, dtype=np.float64).reshape(np.shape(t))

    def if_alive_on_pairs(self, t: float, x: FloatArray, age: FloatArray) -> FloatArray:
        """Expected purchases in (T, T+t] if alive, for rows of distinct (x, T).

        The textbook form (a+b+x−1)/(a−1)·[1 − ((α+T)/(α+T+t))^(r+x)·2F1(r+x, b+x;
        a+b+x−1; z)] with z = t/(α+T+t) is rewritten by Euler's transformation
        as (c/ε)·[1 − (1−z)^ε·2F1(a+b−1−r, ε; c; z)] with ε = a−1 and c = a+b+x−1;
        the 2F1 is then 1 + ε·S with S summed by :func:`bgnbd_tail`, so the
        bracket needs no subtraction of nearly equal numbers even for a ≈ 1.

        When a is huge (a fit on data where every customer seems to drop out with
        the same probability drives a and b up together), the series needs about
        a·z terms and its terms overflow; the beta distribution of p is then
        nearly a point mass and :meth:`_if_alive_point_mass` is exact to O(1/a).
        """
        if self.a >= POINT_MASS_A:
            return self._if_alive_point_mass(t, x, age)
        eps = self.a - 1.0
        c = self.a + self.b + x - 1.0
        z = t / (self.alpha + age + t)
        # Overflowing terms give a non-finite result that the textbook form replaces.
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            tail = bgnbd_tail(self.a + self.b - 1.0 - self.r, eps, c, z)
            log_rest = np.log1p(-z)
            if eps == 0.0:
                result = np.asarray(c * -(log_rest + tail), dtype=np.float64)
            else:
                result = np.asarray(c * -np.expm1(eps * log_rest + np.log1p(eps * tail)) / eps,
                                    dtype=np.float64)
        bad = ~np.isfinite(result)
        if bad.any() and eps != 0.0:
            # With a + b < 1, c is negative for x = 0 and the transformed series
            # can leave log1p's domain; the textbook form is finite there.
            result = result.copy()
            result[bad] = self._if_alive_textbook(t, np.broadcast_to(x, result.shape)[bad],
                                                  np.broadcast_to(age, result.shape)[bad])
        return result

    def _if_alive_point_mass(self, t: float, x: FloatArray, age: FloatArray) -> FloatArray:
        """The same expectation with p fixed at its posterior mean a / (a + b + x).

        With p fixed, a customer alive at T buys at rate λ while still alive,
        and is still alive at T + s with probability exp(−λps); so the expected
        purchases are (1 − E[exp(−λpt)]) / p with λ ~ Gamma(r + x, α + T):
        −expm1(−(r + x)·log1p(pt / (α + T))) / p. It is also the limit of the
        textbook form as a, b → ∞ with a / (a + b) fixed.
        """
        p = self.a / (self.a + self.b + x)
        return np.asarray(-np.expm1(-(self.r + x) * np.log1p(p * t / (self.alpha + age))) / p,
                          dtype=np.float64)

    def _if_alive_textbook(self, t: float, x: FloatArray, age: FloatArray) -> FloatArray:
        c = self.a + self.b + x - 1.0
        z = t / (self.alpha + age + t)
        ratio = (self.alpha + age) / (self.alpha + age + t)
        hyp = hyp2f1(self.r + x, self.b + x, c, z)
        return np.asarray(c / (self.a - 1.0) * (1.0 - ratio ** (self.r + x) * hyp),
                          dtype=np.float64)

    def _alive(self, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
        log_odds_dead = (self.r + x) * np.log1p((age - t_x) / (self.alpha + t_x)) + np.log(
            self.a / (self.b + np.maximum(x, 1.0) - 1.0)
        )
        return np.where(x == 0, 1.0, expit(-log_odds_dead))

    def _log_params(self) -> FloatArray:
        return np.log(np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64))


def fit_bgnbd(
    summary: PurchaseSummary, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS
) -> ModelFit[BGNBDParams]:
    """Fit BG/NBD by maximum likelihood.

    Raises :class:`NotEnoughDataError` with fewer than ``min_repeat_buyers``
    customers who bought again, and :class:`ConvergenceError` when the
    likelihood has no interior maximum.
    """
    clock = Stopwatch()
    require_repeat_buyers(summary, min_repeat_buyers, "BG/NBD")
    grouped = summary.grouped()
    total = float(grouped.weight.sum())
    optimum = maximize_likelihood(
        _objective(grouped, total),
        start=_start(summary),
        names=BGNBDParams.names,
        total_weight=total,
        model="BG/NBD",
    )
    r, alpha, a, b = (float(v) for v in np.exp(optimum.log_params))
    return ModelFit(
        model="bgnbd",
        params=BGNBDParams(r=r, alpha=alpha, a=a, b=b),
        log_likelihood=optimum.log_likelihood,
        standard_errors=dict(
            zip(BGNBDParams.names, map(float, optimum.standard_errors), strict=True)
        ),
        n_customers=summary.n_customers,
        n_groups=grouped.size,
        iterations=optimum.iterations,
        fit_seconds=clock.seconds(),
    )


def _start(summary: PurchaseSummary) -> FloatArray:
    """Starting values on the data's time scale: r = a = b = 1, α from the purchase rate."""
    mean_age = float(np.mean(summary.T)) or 1.0
    mean_rate = float(np.mean(summary.frequency)) / mean_age
    alpha = 1.0 / max(mean_rate, 1e-6)
    return np.log(np.array([1.0, alpha, 1.0, 1.0], dtype=np.float64))


def _objective(grouped: GroupedCounts, total: float) -> Objective:
    """Mean negative log-likelihood and its gradient in log(r, α, a, b)."""
    xv = grouped.x_values
    x = grouped.x
    weight = grouped.weight
    weight_by_x = np.bincount(grouped.x_code, weights=weight, minlength=xv.shape[0]).astype(
        np.float64
    )
    repeat = x > 0
    shifted = np.maximum(x, 1.0) - 1.0
    t_values = grouped.T_values
    r_values = grouped.recency_values

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(log_params)
        log_age = np.log(alpha + t_values)[grouped.T_code]
        log_last = np.log(alpha + r_values)[grouped.recency_code]
        inv_age = (1.0 / (alpha + t_values))[grouped.T_code]
        inv_last = (1.0 / (alpha + r_values))[grouped.recency_code]
        # Per distinct x: log Γ(r+x)/Γ(r) + log B(a, b+x)/B(a, b).
        per_x = (
            gammaln(r + xv)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + xv)
            - gammaln(b)
            - gammaln(a + b + xv)
        )
        survive = -(r + x) * log_age
        dropped = np.where(repeat, np.log(a) - np.log(b + shifted) - (r + x) * log_last, -np.inf)
        both = np.logaddexp(survive, dropped)
        share_dropped = np.exp(dropped - both)
        share_survive = 1.0 - share_dropped
        log_lik = (
            weighted_sum(weight_by_x, per_x)
            + total * r * np.log(alpha)
            + weighted_sum(weight, both)
        )

        psi_ab = digamma(a + b)
        d_r = (
            weighted_sum(weight_by_x, digamma(r + xv) - digamma(r))
            + total * np.log(alpha)
            - weighted_sum(weight, share_survive * log_age + share_dropped * log_last)
        )
        d_alpha = total * r / alpha - weighted_sum(
            weight, (r + x) * (share_survive * inv_age + share_dropped * inv_last)
        )
        d_a = (
            weighted_sum(weight_by_x, psi_ab - digamma(a + b + xv))
            + weighted_sum(weight, share_dropped) / a
        )
        d_b = weighted_sum(
            weight_by_x, psi_ab + digamma(b + xv) - digamma(b) - digamma(a + b + xv)
        ) - weighted_sum(weight, np.where(repeat, share_dropped / (b + shifted), 0.0))
        gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return float(-log_lik / total), -gradient / total

    return objective
