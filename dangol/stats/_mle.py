"""Maximum-likelihood machinery shared by the customer-value models.

Each model supplies the mean negative log-likelihood of its data and its
gradient, both with respect to the logarithms of its (positive) parameters.
Working in logs keeps every parameter positive without constraints, and the
mean instead of the sum keeps the optimiser's tolerances independent of the
number of customers.

The optimum found by BFGS is polished with a few Newton steps on a Hessian
taken by central differences of the analytic gradient; the same Hessian gives
the standard errors (observed information, delta method back to the natural
scale: se(θ) = θ · se(log θ)).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from scipy.optimize import minimize

from dangol.stats._types import FloatArray
from dangol.stats.errors import ConvergenceError

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


class Params(Protocol):
    """Fitted parameters that can list themselves by name."""

    def as_dict(self) -> dict[str, float]: ...


P = TypeVar("P", bound=Params)

# Parameters beyond e^±25 mean the data cannot pin the model down.
_LOG_BOUND = 25.0
_GRADIENT_TOLERANCE = 1e-6
# Largest rise of the total log-likelihood still left at an accepted optimum,
# and the largest slope (of the mean) along a flat ridge; see _stationary.
_LIKELIHOOD_TOLERANCE = 1e-6
_RIDGE_GRADIENT = 1e-5
_HESSIAN_STEP = 1e-4
_NEWTON_STEPS = 4


@dataclass(frozen=True, slots=True)
class ModelFit(Generic[P]):
    """A fitted model: its parameters and how they were obtained.

    ``log_likelihood`` is the total over all customers; ``standard_errors`` maps
    each parameter name to its asymptotic standard error (``nan`` when the
    observed information is not positive definite). ``n_groups`` is how many
    distinct rows the likelihood was evaluated on; ``fit_seconds`` includes
    that grouping.
    """

    model: str
    params: P
    log_likelihood: float
    standard_errors: Mapping[str, float]
    n_customers: int
    n_groups: int
    iterations: int
    fit_seconds: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``nan`` standard errors become ``None``)."""
        return {
            "model": self.model,
            "params": self.params.as_dict(),
            "log_likelihood": self.log_likelihood,
            "standard_errors": {
                name: (None if not np.isfinite(value) else value)
                for name, value in self.standard_errors.items()
            },
            "n_customers": self.n_customers,
            "n_groups": self.n_groups,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
        }


@dataclass(frozen=True, slots=True)
class Optimum:
    """Log-parameters at the maximum, the total log-likelihood and standard errors."""

    log_params: FloatArray
    log_likelihood: float
    standard_errors: FloatArray
    iterations: int


def maximize_likelihood(
    objective: Objective,
    *,
    start: FloatArray,
    names: tuple[str, ...],
    total_weight: float,
    model: str,
) -> Optimum:
    """Maximise a log-likelihood given as its mean negative value and gradient.

    Raises :class:`ConvergenceError` when the optimiser stops away from a
    stationary point, a parameter runs to the edge of the search box, or the
    likelihood is not finite at the start.
    """
    value, _ = objective(start)
    if not np.isfinite(value):
        raise ConvergenceError(f"{model}: the log-likelihood is not finite at the starting values")
    # BFGS rather than L-BFGS-B: scipy's L-BFGS-B calls threaded BLAS on every
    # iteration, which costs milliseconds each on a busy machine.
    result = minimize(
        _boxed(objective),
        start,
        jac=True,
        method="BFGS",
        options={"maxiter": 2000, "gtol": 1e-7},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    iterations = int(result.nit)
    theta, hessian = _polish(objective, theta)
    value, gradient = objective(theta)
    at_edge = np.flatnonzero(np.abs(theta) > _LOG_BOUND - 1.0)
    if at_edge.size:
        name = names[int(at_edge[0])]
        raise ConvergenceError(
            f"{model}: parameter {name} ran to {np.exp(theta[at_edge[0]]):.3g}; "
            "the data do not identify this model"
        )
    if not np.isfinite(value) or not _stationary(gradient, hessian, total_weight):
        raise ConvergenceError(
            f"{model}: the fit did not converge after {iterations} iterations "
            f"({result.message}; largest gradient {float(np.max(np.abs(gradient))):.2g})"
        )
    return Optimum(
        log_params=theta,
        log_likelihood=-value * total_weight,
        standard_errors=_standard_errors(theta, hessian, total_weight),
        iterations=iterations,
    )


def _boxed(objective: Objective) -> Objective:
    """The objective inside ±_LOG_BOUND, continued outside by a quadratic wall.

    Far outside the box the likelihood overflows; the wall keeps line searches
    finite and smooth, and a fit that still ends at the wall is reported.
    """

    def boxed(theta: FloatArray) -> tuple[float, FloatArray]:
        inside = np.clip(theta, -_LOG_BOUND, _LOG_BOUND)
        value, gradient = objective(inside)
        excess = theta - inside
        if not excess.any():
            return value, gradient
        return value + 5.0 * float(np.sum(excess * excess)), gradient + 10.0 * excess

    return boxed


def log_hessian(objective: Objective, theta: FloatArray) -> FloatArray:
    """Hessian of the mean negative log-likelihood in log-parameters."""
    size = theta.shape[0]
    hessian = np.empty((size, size))
    for i in range(size):
        step = np.zeros(size)
        step[i] = _HESSIAN_STEP
        _, upper = objective(theta + step)
        _, lower = objective(theta - step)
        hessian[i] = (upper - lower) / (2 * _HESSIAN_STEP)
    return (hessian + hessian.T) / 2


def _stationary(gradient: FloatArray, hessian: FloatArray, total_weight: float) -> bool:
    """Whether the optimiser stopped at a maximum.

    Either the gradient is tiny, or double precision cannot bring it lower on
    a surface this flat (extreme parameters, e.g. when everyone drops out
    alike and only a/(a+b) of BG/NBD is identified). Then the point is
    accepted when, along the curved directions, the Newton decrement says the
    total log-likelihood could rise by less than ``_LIKELIHOOD_TOLERANCE``,
    and along the flat ones (curvature below 1e-4 of the largest) the slope is
    below ``_RIDGE_GRADIENT``: a ridge on which the estimates serve every
    purpose equally well.
    """
    if float(np.max(np.abs(gradient))) <= _GRADIENT_TOLERANCE:
        return True
    try:
        curvature, directions = np.linalg.eigh(hessian)
    except np.linalg.LinAlgError:
        return False
    if not np.all(np.isfinite(curvature)) or curvature.max() <= 0:
        return False
    slope = directions.T @ gradient
    flat = curvature <= 1e-4 * curvature.max()
    if np.any(np.abs(slope[flat]) > _RIDGE_GRADIENT):
        return False
    decrement = float(np.sum(slope[~flat] ** 2 / curvature[~flat]))
    return 0.5 * decrement * total_weight < _LIKELIHOOD_TOLERANCE


def _polish(objective: Objective, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """A few guarded Newton steps; the quasi-Newton optimum is already close."""
    value, gradient = objective(theta)
    hessian = log_hessian(objective, theta)
    for _ in range(_NEWTON_STEPS):
        if float(np.max(np.abs(gradient))) < 1e-8:
            break
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        candidate = np.clip(theta - step, -_LOG_BOUND, _LOG_BOUND)
        new_value, new_gradient = objective(candidate)
        if not np.isfinite(new_value) or new_value > value + 1e-14 * max(1.0, abs(value)):
            break
        theta, value, gradient = candidate, new_value, new_gradient
        hessian = log_hessian(objective, theta)
    return theta, hessian


def _standard_errors(theta: FloatArray, hessian: FloatArray, total_weight: float) -> FloatArray:
    try:
        eigenvalues = np.linalg.eigvalsh(hessian)
        if eigenvalues.min() <= 0:
            return np.full(theta.shape[0], np.nan)
        covariance = np.linalg.inv(hessian) / total_weight
    except np.linalg.LinAlgError:
        return np.full(theta.shape[0], np.nan)
    return np.exp(theta) * np.sqrt(np.diag(covariance))


class Stopwatch:
    """Wall-clock seconds since construction."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self._start
