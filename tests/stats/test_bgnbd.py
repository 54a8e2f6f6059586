"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW, and on simulated data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from dangol.stats import ModelFit
from dangol.stats.bgnbd import BGNBDParams, _objective, fit_bgnbd
from dangol.stats.errors import NotEnoughDataError
from dangol.stats.purchases import PurchaseSummary
from dangol.stats.simulate import simulate_bgnbd
from tests.stats.conftest import same_3_significant

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: PurchaseSummary) -> ModelFit[BGNBDParams]:
    return fit_bgnbd(cdnow)


def test_cdnow_parameters_match_the_published_table(cdnow_fit: ModelFit[BGNBDParams]) -> None:
    fitted = cdnow_fit.params.as_dict()
    for name, published in PUBLISHED.items():
        assert same_3_significant(fitted[name], published), (name, fitted[name], published)
    assert cdnow_fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_cdnow_standard_errors_are_those_of_the_observed_information(
    cdnow_fit: ModelFit[BGNBDParams],
) -> None:
    # lifetimes 0.11.3 reports the same Hessian-based errors on CDNOW.
    errors = cdnow_fit.standard_errors
    assert errors["r"] == pytest.approx(0.012557, rel=1e-3)
    assert errors["alpha"] == pytest.approx(0.378221, rel=1e-3)
    assert errors["a"] == pytest.approx(0.185719, rel=1e-3)
    assert errors["b"] == pytest.approx(0.705345, rel=1e-3)


def test_cdnow_predictions_match_lifetimes(
    cdnow_fit: ModelFit[BGNBDParams], cdnow: PurchaseSummary
) -> None:
    params = cdnow_fit.params
    expected = params.expected_purchases(
        39, frequency=cdnow.frequency, recency=cdnow.recency, T=cdnow.T
    )
    assert expected.sum() == pytest.approx(1653.42, abs=0.01)
    one = {"frequency": 2, "recency": 30.43, "T": 38.86}
    assert params.expected_purchases(39, **one)[0] == pytest.approx(1.2259, abs=5e-5)
    assert params.probability_alive(**one)[0] == pytest.approx(0.7266, abs=5e-5)


def test_conditional_expectation_equals_the_textbook_hypergeometric_form() -> None:
    params = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    x, t_x, age, t = 5.0, 20.0, 35.0, 52.0
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    z = t / (alpha + age + t)
    bracket = 1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    textbook = (
        (a + b + x - 1)
        / (a - 1)
        * bracket
        / (1 + a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))
    )
    assert params.expected_purchases(t, frequency=x, recency=t_x, T=age)[0] == pytest.approx(
        textbook, rel=1e-10
    )


def test_a_near_one_has_no_cancellation() -> None:
    # (a+b+x−1)/(a−1)·[…] is 0/0 at a = 1; the series form has a smooth limit.
    below = BGNBDParams(r=0.5, alpha=5.0, a=1.0 - 1e-9, b=3.0)
    exact = BGNBDParams(r=0.5, alpha=5.0, a=1.0, b=3.0)
    above = BGNBDParams(r=0.5, alpha=5.0, a=1.0 + 1e-9, b=3.0)
    values = [float(p.expected_purchases_new_customer(20.0)) for p in (below, exact, above)]
    assert values[0] == pytest.approx(values[1], rel=1e-7)
    assert values[2] == pytest.approx(values[1], rel=1e-7)


def test_new_customer_expectation_matches_the_closed_form() -> None:
    r, alpha, a, b, t = 0.243, 4.414, 0.793, 2.426, 39.0
    closed = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    params = BGNBDParams(r=r, alpha=alpha, a=a, b=b)
    assert params.expected_purchases_new_customer(t) == pytest.approx(closed, rel=1e-10)


def test_gradient_matches_finite_differences(cdnow: PurchaseSummary) -> None:
    grouped = cdnow.grouped()
    objective = _objective(grouped, float(grouped.weight.sum()))
    theta = np.log([0.3, 5.0, 0.7, 2.0])
    _, gradient = objective(theta)
    step = 1e-6
    numeric = [
        (objective(theta + step * e)[0] - objective(theta - step * e)[0]) / (2 * step)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


def test_grouped_likelihood_equals_the_per_customer_sum(cdnow: PurchaseSummary) -> None:
    params = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert cdnow.grouped().size < cdnow.n_customers
    per_customer = sum(
        params.log_likelihood(PurchaseSummary(frequency=[x], recency=[t], T=[age]))
        for x, t, age in zip(cdnow.frequency, cdnow.recency, cdnow.T, strict=True)
    )
    assert params.log_likelihood(cdnow) == pytest.approx(per_customer, rel=1e-12)


def test_recovers_simulated_parameters() -> None:
    truth = BGNBDParams(r=0.5, alpha=6.0, a=0.7, b=2.5)
    rng = np.random.default_rng(20240501)
    ages = rng.integers(26 * 7, 39 * 7 + 1, 30_000) / 7
    fit = fit_bgnbd(simulate_bgnbd(truth, T=ages, rng=rng))
    for name, value in truth.as_dict().items():
        error = fit.standard_errors[name]
        assert abs(fit.params.as_dict()[name] - value) < 4 * error, (name, fit.params, error)


def test_refuses_to_fit_without_enough_repeat_buyers() -> None:
    summary = PurchaseSummary(frequency=[0, 0, 1, 2], recency=[0, 0, 3, 5], T=[10, 10, 10, 10])
    with pytest.raises(NotEnoughDataError, match="at least 10 customers with a repeat purchase"):
        fit_bgnbd(summary)


def test_expected_purchases_stay_finite_when_a_plus_b_is_below_one():
    # Parameters fitted on a real demo shop: a + b - 1 < 0 made the transformed
    # series leave log1p's domain for customers with no repeat purchase.

    params = BGNBDParams(r=1.0, alpha=2.0, a=0.082, b=0.245)
    x, t_x, age, t = 0.0, 0.0, 2.0, 90 / 7
    got = float(np.ravel(params.expected_purchases(t, frequency=x, recency=t_x, T=age))[0])
    c = params.a + params.b + x - 1
    z = t / (params.alpha + age + t)
    ratio = (params.alpha + age) / (params.alpha + age + t)
    textbook = c / (params.a - 1) * (1 - ratio ** (params.r + x) * hyp2f1(params.r + x,
                                                                         params.b + x, c, z))
    assert np.isfinite(got)
    assert got == pytest.approx(textbook, rel=1e-9)



def _expected_by_integration(params, t, x, age):
    """E over p ~ Beta(a, b + x) of (1 − E[exp(−λpt)]) / p, λ ~ Gamma(r + x, α + T)."""
    from scipy import integrate, stats

    out = []
    for xi, ti in zip(x, age, strict=True):
        def inner(p, xi=xi, ti=ti):
            return -np.expm1(-(params.r + xi) * np.log1p(p * t / (params.alpha + ti))) / p

        beta = stats.beta(params.a, params.b + xi)
        low, high = beta.ppf(1e-12), beta.isf(1e-12)
        value, _ = integrate.quad(lambda p, f=inner, d=beta: f(p) * d.pdf(p), low, high,
                                  epsabs=0, epsrel=1e-10, limit=200)
        out.append(value)
    return np.array(out)


X = np.array([0.0, 1.0, 4.0, 12.0])
AGE = np.array([100.0, 150.0, 300.0, 52.0])


@pytest.mark.parametrize("params", [
    BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426),  # CDNOW
    BGNBDParams(r=0.5, alpha=30.0, a=5e3, b=2e4),
], ids=["cdnow", "large-a"])
def test_expected_purchases_if_alive_equal_the_integral_over_p(params):
    np.testing.assert_allclose(params.if_alive_on_pairs(13.0, X, AGE),
                               _expected_by_integration(params, 13.0, X, AGE), rtol=1e-6)


def test_huge_a_and_b_give_finite_expectations():
    """A fit where everyone drops out alike drives a and b up together; the series for
    the expected purchases would need about a·z terms, the fixed-p form needs none."""
    from dangol.stats.bgnbd import POINT_MASS_A

    huge = BGNBDParams(r=0.5, alpha=30.0, a=3.6e6, b=2.6e7)
    assert huge.a >= POINT_MASS_A
    np.testing.assert_allclose(huge.if_alive_on_pairs(13.0, X, AGE),
                               _expected_by_integration(huge, 13.0, X, AGE), rtol=1e-5)
    recency = np.where(X > 0, AGE / 3, 0.0)
    values = huge.expected_purchases(13.0, frequency=X, recency=recency, T=AGE)
    longer = huge.expected_purchases(26.0, frequency=X, recency=recency, T=AGE)
    assert np.isfinite(values).all() and (longer > values).all()
