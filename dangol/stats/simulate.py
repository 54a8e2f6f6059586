"""Simulated customers from each model, for tests, benchmarks and demo data.

Every function takes a :class:`numpy.random.Generator`, so a fixed seed gives
the same population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dangol.stats._types import FloatArray, IntArray
from dangol.stats.bgnbd import BGNBDParams
from dangol.stats.gammagamma import GammaGammaParams
from dangol.stats.paretonbd import ParetoNBDParams
from dangol.stats.purchases import PurchaseSummary


def simulate_bgnbd(
    params: BGNBDParams, *, T: npt.ArrayLike, rng: np.random.Generator
) -> PurchaseSummary:
    """One customer per entry of ``T`` (age at the end of calibration), from BG/NBD.

    A customer with Poisson rate λ has N ~ Poisson(λT) purchase opportunities
    in (0, T] and stops after the J-th repeat purchase, J ~ Geometric(p); so
    x = min(N, J) and t_x is the x-th of N uniform points, T·Beta(x, N−x+1).
    """
    age = np.asarray(T, dtype=np.float64)
    n = age.shape[0]
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    opportunities = rng.poisson(rate * age)
    lasting = rng.geometric(np.clip(dropout, 1e-300, 1.0))
    x = np.minimum(opportunities, lasting)
    recency = _order_statistic(x, opportunities - x + 1, age, rng)
    return PurchaseSummary(frequency=x.astype(np.float64), recency=recency, T=age)


def simulate_pareto_nbd(
    params: ParetoNBDParams, *, T: npt.ArrayLike, rng: np.random.Generator
) -> PurchaseSummary:
    """One customer per entry of ``T``, from Pareto/NBD.

    The customer is active for L = min(lifetime, T) with lifetime ~ Exp(μ);
    x ~ Poisson(λL) and t_x is the largest of x uniform points, L·Beta(x, 1).
    """
    age = np.asarray(T, dtype=np.float64)
    n = age.shape[0]
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    death = rng.gamma(params.s, 1.0 / params.beta, n)
    active = np.minimum(rng.exponential(1.0, n) / death, age)
    x = rng.poisson(rate * active)
    recency = _order_statistic(x, np.ones_like(x), active, rng)
    return PurchaseSummary(frequency=x.astype(np.float64), recency=recency, T=age)


def simulate_spend(
    params: GammaGammaParams, *, frequency: npt.ArrayLike, rng: np.random.Generator
) -> FloatArray:
    """Mean spend of each customer's repeat purchases under Gamma-Gamma (0 when x = 0).

    With ν ~ Gamma(q, γ) the mean of x values ~ Gamma(p, ν) is Gamma(px, xν).
    """
    x = np.asarray(frequency, dtype=np.float64)
    scale_rate = np.asarray(rng.gamma(params.q, 1.0 / params.gamma, size=x.shape[0]))
    repeat = x > 0
    spend = np.zeros_like(x)
    spend[repeat] = rng.gamma(params.p * x[repeat], 1.0 / (x[repeat] * scale_rate[repeat]))
    return spend


@dataclass(frozen=True, slots=True, eq=False)
class SimulatedLog:
    """A transaction log: one row per purchase, ordered by date (random within a day)."""

    customer_ids: IntArray
    dates: npt.NDArray[np.datetime64]
    values: FloatArray


def simulate_bgnbd_transactions(
    params: BGNBDParams,
    spend: GammaGammaParams,
    *,
    n_customers: int,
    start: str,
    cohort_days: int,
    end: str,
    days_per_unit: float,
    rng: np.random.Generator,
) -> SimulatedLog:
    """Dated purchases of ``n_customers`` BG/NBD customers with Gamma-Gamma values.

    First purchases fall uniformly on the ``cohort_days`` days from ``start``;
    purchases continue (in model time units of ``days_per_unit`` days) until
    ``end``. Purchase times are truncated to days, so a customer may buy twice
    on one day, as in real logs.
    """
    first_day = np.datetime64(start, "D") + rng.integers(0, cohort_days, n_customers)
    age = (np.datetime64(end, "D") - first_day).astype(np.float64) / days_per_unit
    rate = rng.gamma(params.r, 1.0 / params.alpha, n_customers)
    dropout = rng.beta(params.a, params.b, n_customers)
    opportunities = rng.poisson(rate * age)
    x = np.minimum(opportunities, rng.geometric(np.clip(dropout, 1e-300, 1.0)))
    # All opportunity times at once: customer index + uniform, sorted, keeps
    # each customer's uniforms together and in order; the first x are bought.
    owner = np.repeat(np.arange(n_customers), opportunities)
    ordered = np.sort(owner + rng.random(owner.shape[0]))
    owner = ordered.astype(np.int64)
    block_start = np.cumsum(opportunities) - opportunities
    rank = np.arange(owner.shape[0]) - block_start[owner]
    bought = rank < x[owner]
    owner = owner[bought]
    offset_days = ((ordered[bought] - owner) * age[owner] * days_per_unit).astype(np.int64)
    customers = np.concatenate((np.arange(n_customers), owner))
    dates = np.concatenate((first_day, first_day[owner] + offset_days))
    scale_rate = rng.gamma(spend.q, 1.0 / spend.gamma, n_customers)
    values = rng.gamma(spend.p, 1.0 / scale_rate[customers])
    # By date, and in random order within a day, as a log written over time is.
    shuffle: FloatArray = np.asarray(rng.random(size=dates.shape[0]), dtype=np.float64)
    order = np.lexsort((shuffle, dates.astype(np.int64)))
    return SimulatedLog(
        customer_ids=customers[order].astype(np.int64),
        dates=dates[order],
        values=np.round(values[order], 2),
    )


def _order_statistic(
    k: IntArray, rest: IntArray, length: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """length · Beta(k, rest) where k > 0, else 0: the k-th of k+rest−1 uniform points."""
    out = np.zeros(k.shape[0])
    some = k > 0
    out[some] = length[some] * rng.beta(k[some], rest[some])
    return out
