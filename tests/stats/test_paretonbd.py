"""Pareto/NBD against Fader, Hardie & Lee's estimates on CDNOW, and on simulated data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import hyp2f1

from dangol.stats import ModelFit, _series
from dangol.stats.paretonbd import ParetoNBDParams, _log_tail, _objective, fit_pareto_nbd
from dangol.stats.purchases import PurchaseSummary
from dangol.stats.simulate import simulate_pareto_nbd
from tests.stats.conftest import same_3_significant

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: PurchaseSummary) -> ModelFit[ParetoNBDParams]:
    return fit_pareto_nbd(cdnow)


def test_cdnow_parameters_match_the_published_table(
    cdnow_fit: ModelFit[ParetoNBDParams],
) -> None:
    fitted = cdnow_fit.params.as_dict()
    for name, published in PUBLISHED.items():
        assert same_3_significant(fitted[name], published), (name, fitted[name], published)
    assert cdnow_fit.log_likelihood == pytest.approx(-9595.0, abs=0.1)


def test_cdnow_predictions_match_lifetimes(
    cdnow_fit: ModelFit[ParetoNBDParams], cdnow: PurchaseSummary
) -> None:
    params = cdnow_fit.params
    expected = params.expected_purchases(
        39, frequency=cdnow.frequency, recency=cdnow.recency, T=cdnow.T
    )
    # The likelihood is flat along beta (its standard error is about 6), so the
    # 4th digit of beta, and the 2nd decimal of this sum, depend on the optimiser.
    assert expected.sum() == pytest.approx(1665.57, abs=0.1)
    one = {"frequency": 2, "recency": 30.43, "T": 38.86}
    assert params.expected_purchases(39, **one)[0] == pytest.approx(1.4551, abs=5e-5)
    assert params.probability_alive(**one)[0] == pytest.approx(0.8691, abs=5e-5)


@pytest.mark.parametrize(
    ("params", "x", "u"),
    [
        ((0.55, 10.6, 0.6, 11.7), 0, 0.0),  # alpha < beta
        ((0.55, 10.6, 0.6, 11.7), 40, 30.0),
        ((0.55, 30.0, 0.6, 2.0), 0, 0.0),  # alpha > beta, z = 0.93
        ((0.55, 30.0, 0.6, 2.0), 3, 5.0),
        ((2.0, 1.0, 3.0, 50.0), 7, 1.0),
        ((1.0, 4.0, 1.0, 4.0), 2, 3.0),  # alpha = beta: z = 0
    ],
)
def test_tail_integral_matches_quadrature(
    params: tuple[float, float, float, float], x: int, u: float
) -> None:
    r, alpha, s, beta = params
    value, _ = _log_tail(np.array(params), np.array([float(x)]), np.array([u]))
    integral, _ = quad(
        lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
        u,
        np.inf,
        epsabs=0,
        epsrel=1e-13,
    )
    assert value[0] == pytest.approx(np.log((r + s + x) * integral), rel=1e-12)


def test_tail_integral_matches_the_hypergeometric_form() -> None:
    # lifetimes' A_0 term: 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+u)) / (α+u)^(r+s+x) for α ≥ β.
    r, alpha, s, beta, x, u = 0.8, 12.0, 1.3, 3.0, 4.0, 10.0
    top = r + s + x
    textbook = hyp2f1(top, s + 1, top + 1, (alpha - beta) / (alpha + u)) / (alpha + u) ** top
    value, _ = _log_tail(np.array([r, alpha, s, beta]), np.array([x]), np.array([u]))
    assert value[0] == pytest.approx(np.log(textbook), rel=1e-12)


@pytest.mark.parametrize("theta", [[0.5, 10.0, 0.6, 12.0], [0.5, 12.0, 0.6, 4.0]])
def test_gradient_matches_finite_differences(cdnow: PurchaseSummary, theta: list[float]) -> None:
    grouped = cdnow.grouped()
    objective = _objective(grouped, float(grouped.weight.sum()))
    point = np.log(theta)
    _, gradient = objective(point)
    step = 1e-6
    numeric = [
        (objective(point + step * e)[0] - objective(point - step * e)[0]) / (2 * step)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


def test_alive_customer_with_last_purchase_at_the_end_is_certainly_alive() -> None:
    params = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    assert params.probability_alive(frequency=3, recency=20.0, T=20.0)[0] == pytest.approx(1.0)


def test_new_customer_expectation_matches_the_closed_form() -> None:
    r, alpha, s, beta, t = 0.553, 10.578, 0.606, 11.669, 39.0
    closed = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    params = ParetoNBDParams(r=r, alpha=alpha, s=s, beta=beta)
    assert params.expected_purchases_new_customer(t) == pytest.approx(closed, rel=1e-12)


def test_recovers_simulated_parameters() -> None:
    truth = ParetoNBDParams(r=0.6, alpha=8.0, s=0.8, beta=10.0)
    rng = np.random.default_rng(20240502)
    ages = rng.integers(26 * 7, 39 * 7 + 1, 30_000) / 7
    fit = fit_pareto_nbd(simulate_pareto_nbd(truth, T=ages, rng=rng))
    for name, value in truth.as_dict().items():
        error = fit.standard_errors[name]
        assert abs(fit.params.as_dict()[name] - value) < 4 * error, (name, fit.params, error)


def test_long_series_rows_use_scipy_with_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 4.0, 500)
    q = p + rng.uniform(0.05, 40.0, 500)
    z = rng.uniform(0.0, 0.9, 500)
    summed = _series.ratio_series(p, q, z)
    monkeypatch.setattr(_series, "_LONGEST_SERIES", 1)
    closed = _series.ratio_series(p, q, z)
    np.testing.assert_allclose(closed.s0, summed.s0, rtol=1e-13)
    np.testing.assert_allclose(closed.dz, summed.dz, rtol=1e-12)
    # Central differences lose about eps/step = 2e-10 of S0 (at most 10 here).
    np.testing.assert_allclose(closed.dp, summed.dp, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(closed.dq, summed.dq, rtol=1e-7, atol=1e-8)


def test_gradient_when_beta_is_far_above_alpha() -> None:
    # z = (β−α)/(β+u) is near 1 for small recencies: the scipy rows of the series.
    truth = ParetoNBDParams(r=0.3, alpha=2.0, s=0.8, beta=300.0)
    rng = np.random.default_rng(4)
    summary = simulate_pareto_nbd(truth, T=rng.integers(30, 365, 3_000).astype(float), rng=rng)
    grouped = summary.grouped()
    objective = _objective(grouped, float(grouped.weight.sum()))
    point = np.log([0.3, 2.0, 0.8, 300.0])
    _, gradient = objective(point)
    step = 1e-6
    numeric = [
        (objective(point + step * e)[0] - objective(point - step * e)[0]) / (2 * step)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)
