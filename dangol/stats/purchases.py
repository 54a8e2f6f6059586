"""Per-customer purchase summaries: the input of every customer-value model.

A summary holds, per customer, the quantities of Fader and Hardie's papers and
of lifetimes' ``summary_data_from_transaction_data``:

``frequency`` (x)
    number of repeat purchases: purchase periods after the first one;
``recency`` (t_x)
    age of the customer at the last purchase, in time units after the first;
``T``
    age of the customer at the end of the calibration period;
``monetary`` (z̄)
    mean value of the repeat purchases (0 for customers without any).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from dangol.stats._grouping import GroupedCounts, group_counts
from dangol.stats._types import AnyArray, FloatArray
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError

# Fewer customers who bought again than this give estimates too unstable to use.
MIN_REPEAT_BUYERS = 10

# Recency may exceed T by rounding alone when both were written with a few
# decimals (CDNOW's summaries have two); anything larger is a real error.
_RECENCY_SLACK = 1e-9


class PurchaseSummary:
    """Validated per-customer (frequency, recency, T[, monetary]) arrays.

    Construction converts the inputs to ``float64`` arrays and raises
    :class:`~dangol.stats.errors.InvalidSummaryError` naming the column and
    the first offending row when a value is missing, negative, fractional
    (frequency) or inconsistent (recency > T, recency > 0 without repeat
    purchases). Treat the arrays as read-only: the grouping of equal customers
    is computed once, on first use.
    """

    __slots__ = ("T", "_grouped", "customer_ids", "frequency", "monetary", "recency")

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray | None
    customer_ids: AnyArray | None

    def __init__(
        self,
        *,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary: npt.ArrayLike | None = None,
        customer_ids: npt.ArrayLike | None = None,
    ) -> None:
        x = _as_float("frequency", frequency)
        t_x = _as_float("recency", recency)
        age = _as_float("T", T)
        lengths = {"frequency": x.shape[0], "recency": t_x.shape[0], "T": age.shape[0]}
        spend = None
        if monetary is not None:
            spend = _as_float("monetary", monetary)
            lengths["monetary"] = spend.shape[0]
        ids = None
        if customer_ids is not None:
            ids = np.asarray(customer_ids)
            lengths["customer_ids"] = ids.shape[0] if ids.ndim == 1 else -1
        if len(set(lengths.values())) != 1:
            described = ", ".join(f"{name} {size}" for name, size in lengths.items())
            raise InvalidSummaryError(
                f"summary columns differ in length ({described})", column="frequency"
            )
        _validate(x, t_x, age, spend)
        self.frequency = x
        self.recency = t_x
        self.T = age
        self.monetary = spend
        self.customer_ids = ids
        self._grouped: GroupedCounts | None = None

    def __repr__(self) -> str:
        spend = "" if self.monetary is None else " with monetary"
        return f"<PurchaseSummary of {self.n_customers} customers{spend}>"

    @property
    def n_customers(self) -> int:
        return int(self.frequency.shape[0])

    @property
    def n_repeat_buyers(self) -> int:
        return int(np.count_nonzero(self.frequency > 0))

    def grouped(self) -> GroupedCounts:
        """Distinct (frequency, recency, T) rows with customer counts, computed once."""
        if self._grouped is None:
            self._grouped = group_counts(self.frequency, self.recency, self.T)
        return self._grouped


def require_repeat_buyers(summary: PurchaseSummary, minimum: int, model: str) -> None:
    """Raise :class:`NotEnoughDataError` unless ``minimum`` customers bought again."""
    if summary.n_repeat_buyers < max(minimum, 1):
        raise NotEnoughDataError(
            f"{model} needs at least {max(minimum, 1)} customers with a repeat purchase; "
            f"the summary has {summary.n_repeat_buyers} (of {summary.n_customers} customers)"
        )


def _as_float(name: str, values: npt.ArrayLike) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidSummaryError(f"{name} must be numeric: {exc}", column=name) from exc
    if array.ndim != 1:
        raise InvalidSummaryError(
            f"{name} must be one value per customer (got shape {array.shape})", column=name
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise InvalidSummaryError(
            f"{name} is missing or not finite",
            column=name,
            row=int(bad[0]),
            count=int(bad.size),
        )
    return array


def _fail_where(mask: npt.NDArray[np.bool_], column: str, describe: Callable[[int], str]) -> None:
    """Raise for the first row where ``mask`` holds; ``describe(row)`` words the problem."""
    bad = np.flatnonzero(mask)
    if bad.size:
        row = int(bad[0])
        raise InvalidSummaryError(describe(row), column=column, row=row, count=int(bad.size))


def _validate(
    frequency: FloatArray,
    recency: FloatArray,
    age: FloatArray,
    monetary: FloatArray | None,
) -> None:
    _fail_where(
        frequency < 0,
        "frequency",
        lambda i: f"frequency must not be negative, found {frequency[i]:g}",
    )
    _fail_where(
        frequency != np.floor(frequency),
        "frequency",
        lambda i: (
            f"frequency counts repeat purchases and must be a whole number, found {frequency[i]:g}"
        ),
    )
    _fail_where(
        recency < 0, "recency", lambda i: f"recency must not be negative, found {recency[i]:g}"
    )
    _fail_where(age < 0, "T", lambda i: f"T must not be negative, found {age[i]:g}")
    _fail_where(
        recency > age * (1 + _RECENCY_SLACK) + _RECENCY_SLACK,
        "recency",
        lambda i: f"recency must not exceed T, found recency {recency[i]:g} > T {age[i]:g}",
    )
    _fail_where(
        (frequency == 0) & (recency > 0),
        "recency",
        lambda i: (
            f"frequency is 0 but recency is {recency[i]:g}; a customer without "
            "repeat purchases has recency 0"
        ),
    )
    if monetary is not None:
        _fail_where(
            monetary < 0,
            "monetary",
            lambda i: f"monetary must not be negative, found {monetary[i]:g}",
        )
