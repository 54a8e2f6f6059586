"""Weighted sums without BLAS.

``a @ b`` on two long vectors calls BLAS ``ddot``, which OpenBLAS spreads over
threads; on a busy machine waking them costs milliseconds per call, far more
than the sum itself, and a fit makes hundreds of such calls. ``einsum``'s own
loop has no threads.
"""

from __future__ import annotations

import numpy as np

from dangol.stats._types import FloatArray


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights·values for 1-d arrays."""
    return float(np.einsum("i,i->", weights, values))


def weighted_rows(rows: FloatArray, weights: FloatArray) -> FloatArray:
    """Σ_j rows[i, j]·weights[j] for each row i."""
    return np.asarray(np.einsum("ij,j->i", rows, weights), dtype=np.float64)
