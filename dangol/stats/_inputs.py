"""Conversion of per-customer prediction inputs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dangol.stats._types import FloatArray
from dangol.stats.errors import StatsError
from dangol.stats.purchases import PurchaseSummary


def customer_arrays(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[int, ...]]:
    """Validate and flatten (frequency, recency, T), returning their common shape.

    Scalars and arrays broadcast against each other, so a single customer can
    be given as three numbers.
    """
    x, t_x, age = np.broadcast_arrays(
        np.atleast_1d(np.asarray(frequency, dtype=np.float64)),
        np.atleast_1d(np.asarray(recency, dtype=np.float64)),
        np.atleast_1d(np.asarray(T, dtype=np.float64)),
    )
    summary = PurchaseSummary(frequency=x.ravel(), recency=t_x.ravel(), T=age.ravel())
    return summary.frequency, summary.recency, summary.T, x.shape


def times_array(t: npt.ArrayLike) -> FloatArray:
    """Forecast horizons as a float array; each must be finite and non-negative."""
    horizons = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizons)) or np.any(horizons < 0):
        raise StatsError("forecast horizon t must be finite and non-negative")
    return horizons
