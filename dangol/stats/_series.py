"""Vectorised power series for the hypergeometric terms of BG/NBD and Pareto/NBD.

Both models need Gauss' 2F1 at arguments 0 <= z < 1. The series are written
here in the forms that converge fastest and never subtract large terms (after
Euler's transformation, see the callers), summed for all rows at once: each
pass adds one term to every row still converging, and rows drop out as soon as
the remaining tail is below double precision. Derivatives with respect to the
parameters are accumulated alongside, which gives the Pareto/NBD likelihood an
analytic gradient. Rows whose series would be long (z near 1) take scipy's
2F1 instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from dangol.stats._types import FloatArray, IntArray
from dangol.stats.errors import ConvergenceError

_TOLERANCE = 1e-17
MAX_TERMS = 200_000


def bgnbd_tail(first: float, eps: float, c: FloatArray, z: FloatArray) -> FloatArray:
    """Sum ``S = Σ_{k≥1} (first)_k (eps+1)_{k-1} / ((c)_k k!) z^k`` for each row.

    ``2F1(first, eps; c; z) = 1 + eps·S``. Keeping ``eps`` out of ``S`` lets the
    caller form ``1 - (1-z)^eps·2F1`` without cancellation when ``eps`` (the
    BG/NBD ``a − 1``) is near 0.
    """
    total = np.zeros(c.shape[0])
    rows = np.arange(c.shape[0])
    cc = c.copy()
    zz = z.copy()
    term = first / cc * zz
    acc = term.copy()
    size = np.abs(term)
    k = 1
    while rows.size:
        ratio = (first + k) * (eps + k) / ((cc + k) * (k + 1)) * zz
        term = term * ratio
        acc = acc + term
        size = size + np.abs(term)
        k += 1
        done = (np.abs(term) <= _TOLERANCE * size * (1 - zz)) & (np.abs(ratio) < 1)
        done |= term == 0
        if done.any():
            total[rows[done]] = acc[done]
            keep = ~done
            rows, cc, zz, term, acc, size = (
                rows[keep],
                cc[keep],
                zz[keep],
                term[keep],
                acc[keep],
                size[keep],
            )
        if k > MAX_TERMS:
            raise ConvergenceError(
                f"hypergeometric series did not converge in {MAX_TERMS} terms (z up to "
                f"{float(zz.max()):.6f}); the parameters are extreme"
            )
    return total


@dataclass(frozen=True, slots=True, eq=False)
class RatioSeries:
    """``S0 = Σ_k (p)_k/(q)_k z^k`` and what its derivatives need.

    ``dp`` = Σ_k t_k Σ_{j<k} 1/(p+j), ``dq`` the same with q, and ``dz`` = dS0/dz,
    so that d log S0 = (dp·∂p − dq·∂q + dz·∂z) / S0.
    """

    s0: FloatArray
    dp: FloatArray
    dq: FloatArray
    dz: FloatArray


def ratio_series(p: FloatArray, q: FloatArray, z: FloatArray) -> RatioSeries:
    """Sum ``2F1(1, p; q; z) = Σ_k (p)_k/(q)_k z^k`` for ``0 < p < q`` and ``0 <= z < 1``.

    Every term is positive and the ratio of successive terms is below z, so
    after K terms the rest is below z^K/(1−z) of the first (and the derivative
    sums' rests below K·z^K/(1−z)²). Each row gets the K that makes that
    negligible; rows are evaluated in blocks of equal K as 2-d arrays, one
    cumulative product per block instead of a Python loop over terms.

    Rows that would need more than ``_LONGEST_SERIES`` terms (z near 1: a small
    recency when beta is much larger than alpha) use scipy's ``hyp2f1`` for the
    value and dS0/dz = (p/q)·2F1(2, p+1; q+1; z), and central differences for
    the derivatives in p and q.
    """
    n = p.shape[0]
    out = RatioSeries(s0=np.ones(n), dp=np.zeros(n), dq=np.zeros(n), dz=np.zeros(n))
    if n == 0:
        return out
    sizes = _terms_needed(p, q, z)
    long_rows = np.flatnonzero(sizes == 0)
    if long_rows.size:
        _ratio_closed_form(p[long_rows], q[long_rows], z[long_rows], out, long_rows)
    for size in np.unique(sizes[sizes > 0]):
        rows = np.flatnonzero(sizes == size)
        step = max(1, _BLOCK_ELEMENTS // int(size))
        for begin in range(0, rows.shape[0], step):
            chunk = rows[begin : begin + step]
            _ratio_block(p[chunk], q[chunk], z[chunk], int(size), out, chunk)
    return out


_BLOCK_ELEMENTS = 1 << 19
_LONGEST_SERIES = 128
_DIFFERENCE_STEP = 1e-6


def _terms_needed(p: FloatArray, q: FloatArray, z: FloatArray) -> IntArray:
    """Per row, a power of two K after which all four sums' tails are negligible.

    0 marks rows that would need more than ``_LONGEST_SERIES`` terms. The K-th
    term is t_K = Γ(p+K)Γ(q)/(Γ(p)Γ(q+K))·z^K, and each later ratio is below z,
    so the tails are at most (K+1)·t_K/(1−z)² relative to S0 >= 1. For large p/q
    (many repeat purchases) t_K falls much faster than z^K.
    """
    base = gammaln(q) - gammaln(p)
    limit = np.log(_TOLERANCE) + 2.0 * np.log1p(-z)
    with np.errstate(divide="ignore"):
        log_z = np.log(z)
    sizes = np.zeros(p.shape[0], dtype=np.int64)
    open_rows = np.flatnonzero(z > 0)
    sizes[z == 0] = 2
    size = 2
    while open_rows.size and size <= _LONGEST_SERIES:
        pp, qq = p[open_rows], q[open_rows]
        log_term = (
            gammaln(pp + size) - gammaln(qq + size) + base[open_rows] + size * log_z[open_rows]
        )
        enough = log_term + np.log(size + 1.0) <= limit[open_rows]
        sizes[open_rows[enough]] = size
        open_rows = open_rows[~enough]
        size *= 2
    return sizes


def _ratio_closed_form(
    p: FloatArray, q: FloatArray, z: FloatArray, out: RatioSeries, rows: IntArray
) -> None:
    """The same four quantities from scipy's 2F1, for rows whose series is long."""
    out.s0[rows] = hyp2f1(1.0, p, q, z)
    out.dz[rows] = p / q * hyp2f1(2.0, p + 1.0, q + 1.0, z)
    step_p = _DIFFERENCE_STEP * (1.0 + p)
    step_q = _DIFFERENCE_STEP * (1.0 + q)
    out.dp[rows] = (hyp2f1(1.0, p + step_p, q, z) - hyp2f1(1.0, p - step_p, q, z)) / (2 * step_p)
    # dq holds Σ t_k Σ 1/(q+j), which is −dS0/dq.
    out.dq[rows] = (hyp2f1(1.0, p, q - step_q, z) - hyp2f1(1.0, p, q + step_q, z)) / (2 * step_q)


def _ratio_block(
    p: FloatArray, q: FloatArray, z: FloatArray, terms: int, out: RatioSeries, rows: IntArray
) -> None:
    """Sums over k = 1..terms for one block of rows, written into ``out`` at ``rows``."""
    k = np.arange(terms, dtype=np.float64)
    # ratio[:, k] = c_{k+1}/c_k; term[:, k] = c_{k+1} z^{k+1}.
    ratio = (p[:, None] + k) / (q[:, None] + k)
    term = np.cumprod(ratio * z[:, None], axis=1)
    # c_{k+1} z^k without dividing by z (which may be 0).
    unscaled = ratio.copy()
    unscaled[:, 1:] *= term[:, :-1]
    sum_p = np.cumsum(1.0 / (p[:, None] + k), axis=1)
    sum_q = np.cumsum(1.0 / (q[:, None] + k), axis=1)
    out.s0[rows] = 1.0 + term.sum(axis=1)
    out.dp[rows] = np.einsum("ij,ij->i", term, sum_p)
    out.dq[rows] = np.einsum("ij,ij->i", term, sum_q)
    out.dz[rows] = np.einsum("ij,j->i", unscaled, k + 1.0)
