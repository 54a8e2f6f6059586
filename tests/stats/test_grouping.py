"""Grouping of equal customers: every path gives numpy.unique's answer."""

from __future__ import annotations

import numpy as np
import pytest

from dangol.stats._grouping import group_counts, pair_index


def reference(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, counts = np.unique(np.stack(columns, axis=1), axis=0, return_counts=True)
    return rows, counts


@pytest.mark.parametrize(
    "kind", ["days-in-weeks", "continuous", "integers", "wide-integers", "single"]
)
def test_groups_match_numpy_unique(kind: str) -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    x = rng.poisson(1.5, n).astype(float)
    if kind == "days-in-weeks":
        age = rng.integers(180, 274, n) / 7
        recency = np.minimum(rng.integers(0, 274, n) / 7, age)
    elif kind == "continuous":
        age = rng.uniform(20, 40, n)
        recency = np.minimum(rng.uniform(0, 40, n), age)
    elif kind == "integers":
        age = rng.integers(180, 274, n).astype(float)
        recency = np.minimum(rng.integers(0, 274, n).astype(float), age)
    elif kind == "wide-integers":
        age = rng.integers(0, 10**12, n).astype(float)
        recency = np.floor(age / 2)
    else:
        age = np.full(n, 30.0)
        recency = np.zeros(n)
    recency = np.where(x > 0, recency, 0.0)
    grouped = group_counts(x, recency, age)
    rows, counts = reference(x, recency, age)
    got = np.stack((grouped.x, grouped.recency, grouped.T), axis=1)
    order = np.lexsort((got[:, 2], got[:, 1], got[:, 0]))
    np.testing.assert_array_equal(got[order], rows)
    np.testing.assert_array_equal(grouped.weight[order], counts)


def test_pair_index_gathers_back_every_row() -> None:
    rng = np.random.default_rng(8)
    x = rng.poisson(2.0, 3_000).astype(float)
    age = rng.integers(100, 200, 3_000) / 7 + np.where(rng.random(3_000) < 0.01, 1e-9, 0.0)
    pairs = pair_index(x, age)
    np.testing.assert_array_equal(pairs.first[pairs.inverse], x)
    np.testing.assert_array_equal(pairs.second[pairs.inverse], age)
    assert pairs.size == np.unique(np.stack((x, age), axis=1), axis=0).shape[0]
