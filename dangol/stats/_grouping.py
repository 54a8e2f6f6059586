"""Grouping of customers who share the same counts.

Buy-till-you-die likelihoods and predictions depend on a customer only through
(frequency, recency, T), and the expensive parts through (frequency, T) or
(frequency, recency) alone. Real and simulated populations repeat these
combinations a great deal (ages and recencies are whole days or weeks), so
every model evaluates its special functions once per distinct combination and
gathers the results back.

Each column becomes a small integer code (whole numbers such as frequency are
their own code; other columns are ranked among their sorted distinct values),
and the codes are packed into one ``int64`` key. When the keys span a range not
much larger than the number of rows, a ``bincount`` finds the distinct keys in
linear time; otherwise one sort does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dangol.stats._types import FloatArray, IntArray

_KEY_LIMIT = 2**62
# Keys spanning up to this many values per row (or this many in all) are
# counted with bincount; wider ones are sorted.
_DENSE_PER_ROW = 8
_DENSE_MIN = 1 << 20


def codes_of(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """Return the sorted distinct values and each element's index among them.

    Non-negative whole numbers of moderate size are their own codes (the
    "distinct values" then run from 0 to the maximum, some perhaps unused).
    """
    # Adding 0.0 turns -0.0 into 0.0 so that both land in one group.
    clean = values + 0.0
    if clean.shape[0]:
        top = float(clean.max())
        if (
            float(clean.min()) >= 0
            and top <= max(_DENSE_MIN, clean.shape[0])
            and bool(np.all(clean == np.floor(clean)))
        ):
            return np.arange(int(top) + 1, dtype=np.float64), clean.astype(np.int64)
    distinct = np.unique(clean)
    gridded = _grid_codes(clean, distinct)
    if gridded is not None:
        return gridded
    codes = np.searchsorted(distinct, clean).astype(np.int64, copy=False)
    return distinct, codes


def _grid_codes(values: FloatArray, distinct: FloatArray) -> tuple[FloatArray, IntArray] | None:
    """Codes by arithmetic when the distinct values lie on an evenly spaced grid.

    Ages and recencies in days, or in weeks at daily resolution, are such a
    grid; arithmetic then replaces a binary search per row. The grid's table
    holds the exact distinct values (unused slots repeat the first one), and the
    codes are checked to give back every value exactly, so a grid that only
    nearly fits falls back to the binary search.
    """
    if distinct.shape[0] < 2:
        return None
    step = float(np.min(np.diff(distinct)))
    first = float(distinct[0])
    slots = (distinct[-1] - first) / step
    if not slots < max(_DENSE_MIN, values.shape[0]):
        return None
    where = np.rint((distinct - first) / step).astype(np.int64)
    table = np.full(int(where[-1]) + 1, first)
    table[where] = distinct
    codes = np.rint((values - first) / step).astype(np.int64)
    if not bool(np.array_equal(table[codes], values)):
        return None
    return table, codes


def _distinct_keys(key: IntArray, span: int) -> tuple[IntArray, IntArray]:
    """Sorted distinct keys in [0, span) and how often each occurs."""
    if span <= max(_DENSE_MIN, _DENSE_PER_ROW * key.shape[0]):
        counts = np.bincount(key, minlength=span)
        distinct = np.flatnonzero(counts).astype(np.int64, copy=False)
        return distinct, counts[distinct]
    ordered = np.sort(key)
    starts = _run_starts(ordered)
    return ordered[starts], np.diff(np.append(starts, ordered.shape[0]))


def _key_inverse(key: IntArray, distinct: IntArray, span: int) -> IntArray:
    """Position of each key among the sorted distinct keys."""
    if span <= max(_DENSE_MIN, _DENSE_PER_ROW * key.shape[0]):
        position = np.zeros(span, dtype=np.int64)
        position[distinct] = np.arange(distinct.shape[0])
        return position[key]
    return np.searchsorted(distinct, key).astype(np.int64, copy=False)


@dataclass(frozen=True, slots=True, eq=False)
class PairIndex:
    """Distinct (frequency, age) pairs and, for each input row, its pair."""

    first: FloatArray
    second: FloatArray
    inverse: IntArray

    @property
    def size(self) -> int:
        return int(self.first.shape[0])


def pair_index(first: FloatArray, second: FloatArray) -> PairIndex:
    """Index the distinct pairs ``(first[i], second[i])``."""
    first_values, first_codes = codes_of(first)
    second_values, second_codes = codes_of(second)
    width = int(second_values.shape[0])
    span = int(first_values.shape[0]) * width
    key = first_codes * width + second_codes
    distinct, _ = _distinct_keys(key, span)
    inverse = _key_inverse(key, distinct, span)
    return PairIndex(
        first=first_values[distinct // width],
        second=second_values[distinct % width],
        inverse=inverse,
    )


@dataclass(frozen=True, slots=True, eq=False)
class GroupedCounts:
    """Distinct (frequency, recency, T) rows and how many customers share each.

    ``x``, ``recency`` and ``T`` hold one entry per group; ``weight`` counts the
    customers in it. The ``*_code`` arrays index the sorted distinct values of
    each column (``x_values`` …), so a per-value quantity such as
    ``log(alpha + T)`` is computed once per distinct value and gathered.
    """

    x_values: FloatArray
    recency_values: FloatArray
    T_values: FloatArray
    x_code: IntArray
    recency_code: IntArray
    T_code: IntArray
    weight: FloatArray

    @property
    def x(self) -> FloatArray:
        return self.x_values[self.x_code]

    @property
    def recency(self) -> FloatArray:
        return self.recency_values[self.recency_code]

    @property
    def T(self) -> FloatArray:
        return self.T_values[self.T_code]

    @property
    def size(self) -> int:
        return int(self.weight.shape[0])


def group_counts(frequency: FloatArray, recency: FloatArray, T: FloatArray) -> GroupedCounts:
    """Collapse customers with equal (frequency, recency, T) into weighted groups."""
    x_values, x_code = codes_of(frequency)
    r_values, r_code = codes_of(recency)
    t_values, t_code = codes_of(T)
    n_r = int(r_values.shape[0])
    n_t = int(t_values.shape[0])
    span = int(x_values.shape[0]) * n_r * n_t
    if span < _KEY_LIMIT:
        key = (x_code * n_r + r_code) * n_t + t_code
        distinct, counts = _distinct_keys(key, span)
        t_group = distinct % n_t
        rest = distinct // n_t
        r_group = rest % n_r
        x_group = rest // n_r
    else:
        # Too many distinct values to pack into one int64: sort on three keys.
        order = np.lexsort((t_code, r_code, x_code))
        packed = np.stack((x_code[order], r_code[order], t_code[order]))
        change = np.any(packed[:, 1:] != packed[:, :-1], axis=0)
        starts = np.flatnonzero(np.concatenate(([True], change)))
        counts = np.diff(np.append(starts, order.shape[0]))
        x_group, r_group, t_group = packed[:, starts]
    return GroupedCounts(
        x_values=x_values,
        recency_values=r_values,
        T_values=t_values,
        x_code=x_group.astype(np.int64, copy=False),
        recency_code=r_group.astype(np.int64, copy=False),
        T_code=t_group.astype(np.int64, copy=False),
        weight=counts.astype(np.float64),
    )


def _run_starts(ordered: IntArray) -> IntArray:
    """Positions where a new value starts in a sorted array."""
    if ordered.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    change = ordered[1:] != ordered[:-1]
    return np.flatnonzero(np.concatenate(([True], change))).astype(np.int64, copy=False)
