"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, after Colombo
& Jiang 1999).

Each transaction of a customer is worth z ~ Gamma(p, ν); across customers
ν ~ Gamma(q, γ). With x repeat transactions of mean z̄ the likelihood is

    Γ(px+q) / (Γ(px) Γ(q)) · γ^q z̄^(px−1) x^(px) / (γ + x z̄)^(px+q),

and the conditional expected spend per transaction is a weighted mean of the
population mean γp/(q−1) and the customer's own z̄. lifetimes calls γ ``v``.
Only customers with at least one repeat purchase carry information about
spend, so fitting uses those and ignores the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from dangol.stats._grouping import codes_of
from dangol.stats._mle import ModelFit, Objective, Stopwatch, maximize_likelihood
from dangol.stats._sums import weighted_sum
from dangol.stats._types import FloatArray
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError, StatsError
from dangol.stats.purchases import MIN_REPEAT_BUYERS, PurchaseSummary


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (p, q, gamma); lifetimes names gamma ``v``."""

    p: float
    q: float
    gamma: float

    names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def population_mean(self) -> float:
        """Mean spend per transaction across customers, γp/(q−1); infinite for q <= 1."""
        return self.gamma * self.p / (self.q - 1.0) if self.q > 1.0 else float("inf")

    def log_likelihood(self, summary: PurchaseSummary) -> float:
        """Total log-likelihood of the repeat buyers' mean spends."""
        x, spend = _repeat_spend(summary, minimum=1)
        value, _ = _objective(x, spend)(np.log(np.array([self.p, self.q, self.gamma])))
        return -value * float(x.shape[0])

    def expected_spend(self, *, frequency: npt.ArrayLike, monetary: npt.ArrayLike) -> FloatArray:
        """E[spend per transaction | x, z̄]; the population mean for x = 0.

        Raises :class:`StatsError` when q <= 1 (the population mean is infinite).
        """
        if self.q <= 1.0:
            raise StatsError(f"Gamma-Gamma q = {self.q:.3g} <= 1: mean spend is infinite")
        x, spend = np.broadcast_arrays(
            np.asarray(frequency, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
        )
        own = self.p * x / (self.p * x + self.q - 1.0)
        return np.asarray((1.0 - own) * self.population_mean + own * spend, dtype=np.float64)


def fit_gamma_gamma(
    summary: PurchaseSummary, *, min_repeat_buyers: int = MIN_REPEAT_BUYERS
) -> ModelFit[GammaGammaParams]:
    """Fit Gamma-Gamma to the mean repeat spend of customers with frequency > 0.

    Raises :class:`InvalidSummaryError` without a monetary column or with a
    repeat buyer whose mean spend is not positive, :class:`NotEnoughDataError`
    with fewer than ``min_repeat_buyers`` repeat buyers, and
    :class:`ConvergenceError` when the likelihood has no interior maximum
    (e.g. when every customer spends exactly the same).
    """
    clock = Stopwatch()
    x, spend = _repeat_spend(summary, minimum=min_repeat_buyers)
    mean = float(spend.mean())
    # Start on the data's money scale: γp/(q−1) then equals the observed mean.
    start = np.log(np.array([1.0, 3.0, 2.0 * mean]))
    optimum = maximize_likelihood(
        _objective(x, spend),
        start=start,
        names=GammaGammaParams.names,
        total_weight=float(x.shape[0]),
        model="Gamma-Gamma",
    )
    p, q, gamma = (float(v) for v in np.exp(optimum.log_params))
    errors = dict(zip(GammaGammaParams.names, map(float, optimum.standard_errors), strict=True))
    return ModelFit(
        model="gammagamma",
        params=GammaGammaParams(p=p, q=q, gamma=gamma),
        log_likelihood=optimum.log_likelihood,
        standard_errors=errors,
        n_customers=int(x.shape[0]),
        n_groups=int(x.shape[0]),
        iterations=optimum.iterations,
        fit_seconds=clock.seconds(),
    )


def _repeat_spend(summary: PurchaseSummary, *, minimum: int) -> tuple[FloatArray, FloatArray]:
    if summary.monetary is None:
        raise InvalidSummaryError(
            "the Gamma-Gamma model needs mean spend per customer (a monetary column)",
            column="monetary",
        )
    repeat = np.flatnonzero(summary.frequency > 0)
    if repeat.shape[0] < max(minimum, 1):
        raise NotEnoughDataError(
            f"Gamma-Gamma needs at least {max(minimum, 1)} customers with a repeat purchase; "
            f"the summary has {repeat.shape[0]}"
        )
    spend = summary.monetary[repeat]
    zero = np.flatnonzero(spend <= 0)
    if zero.size:
        row = int(repeat[zero[0]])
        raise InvalidSummaryError(
            "monetary must be positive for customers with repeat purchases, found "
            f"frequency {summary.frequency[row]:g} with monetary {summary.monetary[row]:g}",
            column="monetary",
            row=row,
            count=int(zero.size),
        )
    return summary.frequency[repeat], spend


def _objective(x: FloatArray, spend: FloatArray) -> Objective:
    """Mean negative log-likelihood and its gradient in log(p, q, γ).

    Terms in x alone are evaluated once per distinct x, and Σ x·log(x·z̄) is a
    constant, so each evaluation passes over the customers only for
    log(γ + x·z̄) and 1/(γ + x·z̄).
    """
    n = float(x.shape[0])
    x_values, x_code = codes_of(x)
    count_by_x = np.bincount(x_code, minlength=x_values.shape[0]).astype(np.float64)
    # Whole-number codes cover 0..max x; keep the values that occur.
    occurs = count_by_x > 0
    x_values, count_by_x = x_values[occurs], count_by_x[occurs]
    weighted = x * spend
    own_terms = weighted_sum(x, np.log(spend) + np.log(x))
    sum_log_spend = float(np.log(spend).sum())

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(log_params)
        px = p * x_values
        log_total = np.log(gamma + weighted)
        inverse_total = 1.0 / (gamma + weighted)
        sum_log_total = float(log_total.sum())
        x_log_total = weighted_sum(x, log_total)
        log_lik = (
            weighted_sum(count_by_x, gammaln(px + q) - gammaln(px))
            + p * own_terms
            - p * x_log_total
            - q * sum_log_total
            - n * gammaln(q)
            + n * q * np.log(gamma)
            - sum_log_spend
        )
        psi_sum = digamma(px + q)
        d_p = weighted_sum(count_by_x, x_values * (psi_sum - digamma(px))) + own_terms - x_log_total
        d_q = weighted_sum(count_by_x, psi_sum) - sum_log_total - n * digamma(q) + n * np.log(gamma)
        d_gamma = (
            n * q / gamma - p * weighted_sum(x, inverse_total) - q * float(inverse_total.sum())
        )
        gradient = np.array([d_p * p, d_q * q, d_gamma * gamma])
        return float(-log_lik / n), -gradient / n

    return objective
