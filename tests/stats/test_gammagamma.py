"""Gamma-Gamma spend model against Fader & Hardie (2013) on CDNOW, and simulated data."""

from __future__ import annotations

import numpy as np
import pytest

from dangol.stats.errors import ConvergenceError, InvalidSummaryError, NotEnoughDataError
from dangol.stats.gammagamma import GammaGammaParams, fit_gamma_gamma
from dangol.stats.purchases import PurchaseSummary
from dangol.stats.simulate import simulate_spend
from tests.stats.conftest import same_3_significant

PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_cdnow_parameters_match_the_published_table(cdnow: PurchaseSummary) -> None:
    fit = fit_gamma_gamma(cdnow)
    assert fit.n_customers == 946  # the repeat buyers
    for name, published in PUBLISHED.items():
        assert same_3_significant(fit.params.as_dict()[name], published), (name, fit.params)
    assert fit.log_likelihood == pytest.approx(-4055.92, abs=0.1)


def test_expected_spend_by_hand() -> None:
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
    # Population mean γp/(q−1) = 15.44·6.25/2.74 = 96.5/2.74 = 35.218978…
    population = 96.5 / 2.74
    # Customer with x = 2, z̄ = 22.35: own weight px/(px+q−1) = 12.5/15.24.
    own = 12.5 / 15.24
    by_hand = (1 - own) * population + own * 22.35
    assert by_hand == pytest.approx(24.6637, abs=1e-4)
    got = params.expected_spend(frequency=[2, 0], monetary=[22.35, 0.0])
    assert got[0] == pytest.approx(by_hand, rel=1e-12)
    assert got[1] == pytest.approx(population, rel=1e-12)


def test_recovers_simulated_parameters() -> None:
    truth = GammaGammaParams(p=6.0, q=4.0, gamma=15.0)
    rng = np.random.default_rng(20240503)
    x = 1.0 + rng.poisson(2.0, 20_000)
    spend = simulate_spend(truth, frequency=x, rng=rng)
    fit = fit_gamma_gamma(
        PurchaseSummary(frequency=x, recency=np.ones_like(x), T=np.ones_like(x), monetary=spend)
    )
    for name, value in truth.as_dict().items():
        error = fit.standard_errors[name]
        assert abs(fit.params.as_dict()[name] - value) < 4 * error, (name, fit.params, error)


def test_needs_a_monetary_column() -> None:
    summary = PurchaseSummary(frequency=[1] * 12, recency=[1] * 12, T=[2] * 12)
    with pytest.raises(InvalidSummaryError, match="monetary column"):
        fit_gamma_gamma(summary)


def test_needs_positive_spend_for_repeat_buyers() -> None:
    spend = [10.0] * 11 + [0.0]
    summary = PurchaseSummary(frequency=[1] * 12, recency=[1] * 12, T=[2] * 12, monetary=spend)
    with pytest.raises(InvalidSummaryError, match="monetary must be positive") as caught:
        fit_gamma_gamma(summary)
    assert caught.value.row == 11


def test_needs_enough_repeat_buyers() -> None:
    summary = PurchaseSummary(frequency=[0, 1], recency=[0, 1], T=[2, 2], monetary=[0, 5])
    with pytest.raises(NotEnoughDataError, match="the summary has 1"):
        fit_gamma_gamma(summary)


def test_identical_spend_does_not_converge() -> None:
    # With no spread at all the likelihood keeps rising as p and q grow.
    n = 50
    summary = PurchaseSummary(frequency=[2] * n, recency=[1] * n, T=[2] * n, monetary=[25.0] * n)
    with pytest.raises(ConvergenceError, match="Gamma-Gamma"):
        fit_gamma_gamma(summary)
