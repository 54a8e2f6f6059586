"""Customer lifetime value: discounted expected spend over the coming months.

The definition is lifetimes' ``customer_lifetime_value``: for each month
i = 1..months, the expected purchases between months i−1 and i (from a
purchase-count model) times the expected spend per purchase (Gamma-Gamma),
discounted by (1 + discount_rate)^i. A month is 30 days, 4.345 weeks or 720
hours in the summary's time unit.

Both purchase-count models factor as P(alive | x, t_x, T) times a function of
(x, T) and the horizon, so the discounted sum over months is computed once per
distinct (x, T) pair and scaled per customer.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from dangol.stats._grouping import pair_index
from dangol.stats._inputs import customer_arrays
from dangol.stats._types import FloatArray
from dangol.stats.errors import StatsError
from dangol.stats.gammagamma import GammaGammaParams

TimeUnit = Literal["D", "W", "M", "H"]

# Time units per month, as lifetimes counts them.
PERIODS_PER_MONTH: dict[str, float] = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 30.0 * 24.0}


class PurchaseModel(Protocol):
    """A fitted purchase-count model (BG/NBD or Pareto/NBD parameters)."""

    def probability_alive(
        self, *, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray: ...

    def if_alive_on_pairs(self, t: float, x: FloatArray, age: FloatArray) -> FloatArray: ...


def discounted_expected_purchases(
    model: PurchaseModel,
    *,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: TimeUnit = "D",
) -> FloatArray:
    """Σ_i (E[purchases by month i] − E[purchases by month i−1]) / (1+discount_rate)^i."""
    if time_unit not in PERIODS_PER_MONTH:
        raise StatsError(f"time_unit must be one of D, W, M, H, not {time_unit!r}")
    if months < 1:
        raise StatsError(f"months must be at least 1, not {months}")
    if not discount_rate > -1.0:
        raise StatsError(f"discount_rate must be greater than -1, not {discount_rate}")
    x, t_x, age, shape = customer_arrays(frequency, recency, T)
    pairs = pair_index(x, age)
    per_month = PERIODS_PER_MONTH[time_unit]
    discounted = np.zeros(pairs.size)
    previous = np.zeros(pairs.size)
    for month in range(1, months + 1):
        cumulative = model.if_alive_on_pairs(month * per_month, pairs.first, pairs.second)
        discounted += (cumulative - previous) / (1.0 + discount_rate) ** month
        previous = cumulative
    alive = model.probability_alive(frequency=x, recency=t_x, T=age)
    return (alive * discounted[pairs.inverse]).reshape(shape)


def customer_lifetime_value(
    model: PurchaseModel,
    spend: GammaGammaParams,
    *,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary: npt.ArrayLike,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: TimeUnit = "D",
) -> FloatArray:
    """Discounted expected spend over the next ``months`` months, per customer.

    ``discount_rate`` is per month; ``time_unit`` is the unit of recency and T.
    ``monetary`` is each customer's mean repeat spend (0 when frequency is 0,
    where the population mean is used instead).
    """
    purchases = discounted_expected_purchases(
        model,
        frequency=frequency,
        recency=recency,
        T=T,
        months=months,
        discount_rate=discount_rate,
        time_unit=time_unit,
    )
    value = spend.expected_spend(
        frequency=np.asarray(frequency, dtype=np.float64).reshape(purchases.shape),
        monetary=np.asarray(monetary, dtype=np.float64).reshape(purchases.shape),
    )
    return purchases * value
