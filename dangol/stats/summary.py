"""Per-customer summaries from a transaction log, without a loop over rows.

The definitions are those of lifetimes' ``summary_data_from_transaction_data``
(``include_first_transaction=False``):

* dates are truncated to periods (days, or weeks starting on Monday as pandas'
  ``W`` periods do), and purchases in the same period count once, their values
  summed;
* transactions after the period holding ``calibration_end`` are ignored, and
  so are customers whose first purchase is after it;
* ``frequency`` is the number of purchase periods after the first one,
  ``recency`` the time from the first to the last purchase period, ``T`` the
  time from the first purchase period to the period of ``calibration_end``,
  both in periods divided by ``freq_multiplier``;
* ``monetary`` is the mean value of the repeat purchase periods, 0 without any.

The work is one sort of packed ``(customer, period)`` keys plus a few
``bincount`` passes. The repeat spend needs no per-period sums: the mean of the
repeat periods is (all spend − spend in the first period) / frequency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from dangol.stats._types import AnyArray, FloatArray, IntArray
from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError
from dangol.stats.purchases import PurchaseSummary

Freq = Literal["D", "W"]
DateLike = str | dt.date | np.datetime64

# Integer ids spanning at most this many values (or 4 per row) are used as
# bincount indices directly; wider ids are first replaced by their rank.
_DIRECT_ID_SPAN = 1 << 22
_KEY_LIMIT = 2**62
# 1970-01-01 was a Thursday; shifting by 3 days puts week boundaries on Monday.
_MONDAY_SHIFT = 3


def summarize_transactions(
    *,
    customer_ids: npt.ArrayLike,
    dates: npt.ArrayLike,
    calibration_end: DateLike,
    monetary: npt.ArrayLike | None = None,
    freq: Freq = "D",
    freq_multiplier: float = 1.0,
) -> PurchaseSummary:
    """Summarise a transaction log into frequency, recency, T and mean repeat spend.

    ``customer_ids`` may hold integers or strings; ``dates`` holds
    ``datetime64`` values, ISO date strings or :class:`datetime.date` objects.
    ``freq_multiplier`` divides the period counts, e.g. ``freq="D",
    freq_multiplier=7`` gives weeks at daily resolution as in the CDNOW
    summaries. Customers come out sorted by id.

    Raises :class:`InvalidSummaryError` for mismatched lengths, unreadable
    dates or non-finite values, and :class:`NotEnoughDataError` when no
    transaction falls on or before ``calibration_end``.
    """
    if freq not in ("D", "W"):
        raise InvalidSummaryError(f"freq must be 'D' or 'W', not {freq!r}", column="freq")
    if not freq_multiplier > 0:
        raise InvalidSummaryError("freq_multiplier must be positive", column="freq_multiplier")
    ids = np.asarray(customer_ids)
    if ids.ndim != 1:
        raise InvalidSummaryError(
            "customer_ids must be one id per transaction", column="customer_ids"
        )
    days = as_days(dates, column="dates")
    values = None if monetary is None else _as_values(monetary)
    lengths = {ids.shape[0], days.shape[0]} | ({values.shape[0]} if values is not None else set())
    if days.ndim != 1 or len(lengths) != 1:
        raise InvalidSummaryError(
            "customer_ids, dates and monetary must have one value per transaction "
            "and the same length",
            column="customer_ids",
        )
    end_period = int(
        _period(as_days(np.asarray([calibration_end]), column="calibration_end"), freq)[0]
    )
    period = _period(days, freq)
    if period.shape[0] and int(period.max()) > end_period:
        keep = period <= end_period
        ids, period = ids[keep], period[keep]
        values = None if values is None else values[keep]
    if period.shape[0] == 0:
        raise NotEnoughDataError(
            f"no transaction on or before the calibration end {calibration_end}"
        )

    codes, n_codes, decode = _customer_codes(ids)
    first_period = int(period.min())
    width = int(period.max()) - first_period + 1
    if n_codes * width >= _KEY_LIMIT:
        raise InvalidSummaryError(
            "too many customers and periods to summarise at once", column="customer_ids"
        )
    offset, keys = _packed_keys(codes, period, first_period, width, n_codes)
    keys.sort()
    # Distinct (customer, period) pairs, then runs of equal customer among them.
    distinct = keys[_starts_of_runs(keys)]
    customer, in_period = np.divmod(distinct, distinct.dtype.type(width))
    starts = np.flatnonzero(_starts_of_runs(customer))
    n_periods = np.diff(np.append(starts, distinct.shape[0]))
    first = in_period[starts].astype(np.int64)
    last = in_period[starts + n_periods - 1].astype(np.int64)
    present = customer[starts].astype(np.int64)

    frequency = (n_periods - 1).astype(np.float64)
    recency = (last - first) / freq_multiplier
    age = (end_period - first_period - first) / freq_multiplier
    mean_spend = None
    if values is not None:
        # A row is a repeat purchase unless it falls in its customer's first period.
        first_of_code = np.zeros(n_codes, dtype=offset.dtype)
        first_of_code[present] = first
        repeat_values = np.where(offset == first_of_code[codes], 0.0, values)
        repeat_spend = np.bincount(codes, weights=repeat_values, minlength=n_codes)[present]
        mean_spend = np.divide(
            repeat_spend, frequency, out=np.zeros_like(frequency), where=frequency > 0
        )
    return PurchaseSummary(
        frequency=frequency,
        recency=recency.astype(np.float64),
        T=age.astype(np.float64),
        monetary=mean_spend,
        customer_ids=decode(present),
    )


def _packed_keys(
    codes: IntArray, period: IntArray, first_period: int, width: int, n_codes: int
) -> tuple[npt.NDArray[np.unsignedinteger[Any]], npt.NDArray[np.unsignedinteger[Any]]]:
    """Each row's period offset, and its key customer code · width + offset.

    Both are 32-bit when the keys fit: sorting them takes about half the time
    of 64-bit keys, and the offsets are compared again for the spend.
    """
    dtype: type[np.unsignedinteger[Any]] = np.uint32 if n_codes * width < 2**32 else np.uint64
    offset = period.astype(dtype)
    offset -= dtype(first_period)
    keys = codes.astype(dtype)
    keys *= dtype(width)
    keys += offset
    return offset, keys


def _starts_of_runs(ordered: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """True where a sorted array holds a new value."""
    new = np.empty(ordered.shape[0], dtype=np.bool_)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    return new


def as_days(values: npt.ArrayLike, *, column: str) -> IntArray:
    """Days since 1970-01-01 of each date (times of day are dropped)."""
    array = np.asarray(values)
    if array.dtype == np.dtype("datetime64[D]"):
        if np.isnat(array).any():
            row = int(np.flatnonzero(np.isnat(array))[0])
            raise InvalidSummaryError(f"{column} is missing", column=column, row=row)
        return array.view(np.int64)
    if array.dtype.kind != "M":
        try:
            array = array.astype("datetime64[s]")
        except (TypeError, ValueError) as exc:
            raise InvalidSummaryError(
                f"{column} holds a value that is not a date: {exc}", column=column
            ) from exc
    if np.isnat(array).any():
        row = int(np.flatnonzero(np.isnat(array))[0])
        raise InvalidSummaryError(f"{column} is missing", column=column, row=row)
    return array.astype("datetime64[D]").astype(np.int64)


def _period(days: IntArray, freq: Freq) -> IntArray:
    if freq == "D":
        return days
    return (days + _MONDAY_SHIFT) // 7


def _as_values(monetary: npt.ArrayLike) -> FloatArray:
    try:
        values = np.asarray(monetary, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidSummaryError(f"monetary must be numeric: {exc}", column="monetary") from exc
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise InvalidSummaryError("monetary is missing or not finite", column="monetary", row=row)
    return values


class _Offset:
    """Turns compact codes back into integer ids."""

    def __init__(self, low: int) -> None:
        self.low = low

    def __call__(self, codes: IntArray) -> AnyArray:
        return codes + self.low


class _Lookup:
    """Turns codes back into ids through the table of distinct ids."""

    def __init__(self, table: AnyArray) -> None:
        self.table = table

    def __call__(self, codes: IntArray) -> AnyArray:
        return self.table[codes]


def _customer_codes(ids: AnyArray) -> tuple[IntArray, int, _Offset | _Lookup]:
    """Small non-negative integer codes for ids, their count, and the way back.

    Integer ids of moderate size are their own codes (shifted to start at 0
    only when some are negative), which saves ranking them with a sort.
    """
    if ids.dtype.kind in "iu" and ids.shape[0]:
        low = int(ids.min())
        high = int(ids.max())
        limit = max(_DIRECT_ID_SPAN, 4 * ids.shape[0])
        if low >= 0 and high < limit:
            return ids.astype(np.int64, copy=False), high + 1, _Offset(0)
        if high - low < limit:
            return (ids - low).astype(np.int64, copy=False), high - low + 1, _Offset(low)
    table, codes = np.unique(ids, return_inverse=True)
    return codes.astype(np.int64, copy=False).reshape(-1), int(table.shape[0]), _Lookup(table)
