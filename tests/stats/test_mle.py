"""When the likelihood maximiser accepts a point as the optimum."""

import numpy as np

from dangol.stats._mle import _stationary


def test_a_tiny_gradient_is_an_optimum() -> None:
    assert _stationary(np.array([1e-7, -1e-7]), np.eye(2), total_weight=1e6)


def test_a_curved_direction_with_likelihood_still_to_gain_is_not() -> None:
    # Newton decrement: 0.5 * g'H^-1 g * n = 0.5 * (1e-4)^2 / 1 * 1000 = 5e-6 > 1e-6.
    assert not _stationary(np.array([1e-4, 0.0]), np.eye(2), total_weight=1000)
    # The same slope with a hundred times the curvature leaves almost nothing to gain.
    assert _stationary(np.array([1e-4, 0.0]), np.diag([100.0, 1.0]), total_weight=10)


def test_a_flat_ridge_with_a_small_slope_is_accepted() -> None:
    # Only a/(a+b) identified: a direction of (almost) no curvature, even slightly negative.
    ridge = np.array([1.0, 1.0]) / np.sqrt(2)
    across = np.array([1.0, -1.0]) / np.sqrt(2)
    hessian = 1.2 * np.outer(across, across) - 1e-5 * np.outer(ridge, ridge)
    assert _stationary(7e-6 * ridge, hessian, total_weight=52)
    # A clear slope along the ridge means the optimiser stopped too early.
    assert not _stationary(1e-3 * ridge, hessian, total_weight=52)


def test_a_saddle_or_a_minimum_is_not_an_optimum() -> None:
    assert not _stationary(np.array([1e-4, 0.0]), -np.eye(2), total_weight=10)
    assert not _stationary(np.array([1e-4, 0.0]), np.full((2, 2), np.nan), total_weight=10)
