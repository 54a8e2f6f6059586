"""Customer lifetime value: the published CDNOW total and the definition by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dangol.stats.bgnbd import BGNBDParams, fit_bgnbd
from dangol.stats.clv import customer_lifetime_value, discounted_expected_purchases
from dangol.stats.errors import StatsError
from dangol.stats.gammagamma import GammaGammaParams, fit_gamma_gamma
from dangol.stats.paretonbd import ParetoNBDParams
from dangol.stats.purchases import PurchaseSummary

BGNBD = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PARETO = ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669)
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def test_cdnow_twelve_month_value_matches_lifetimes(cdnow: PurchaseSummary) -> None:
    value = customer_lifetime_value(
        fit_bgnbd(cdnow).params,
        fit_gamma_gamma(cdnow).params,
        frequency=cdnow.frequency,
        recency=cdnow.recency,
        T=cdnow.T,
        monetary=cdnow.monetary,
        months=12,
        discount_rate=0.01,
        time_unit="W",
    )
    assert value.sum() == pytest.approx(71509.90, abs=0.05)


def test_one_month_is_expected_purchases_times_spend_discounted_once() -> None:
    # Daily time unit: one month is 30 days, discounted by 1.01.
    purchases = BGNBD.expected_purchases(30.0, frequency=3, recency=40.0, T=90.0)[0]
    spend = SPEND.expected_spend(frequency=3, monetary=20.0)
    value = customer_lifetime_value(
        BGNBD,
        SPEND,
        frequency=3,
        recency=40.0,
        T=90.0,
        monetary=20.0,
        months=1,
        discount_rate=0.01,
        time_unit="D",
    )
    assert value[0] == pytest.approx(purchases * spend / 1.01, rel=1e-12)


@pytest.mark.parametrize("model", [BGNBD, PARETO])
def test_discounted_purchases_follow_the_month_by_month_definition(
    model: BGNBDParams | ParetoNBDParams,
) -> None:
    x = np.array([0.0, 1.0, 4.0, 4.0])
    t_x = np.array([0.0, 10.0, 20.0, 30.0])
    age = np.array([25.0, 30.0, 30.0, 35.0])
    per_month = 4.345  # weeks
    by_definition = np.zeros(4)
    previous = np.zeros(4)
    for month in range(1, 7):
        cumulative = model.expected_purchases(month * per_month, frequency=x, recency=t_x, T=age)
        by_definition += (cumulative - previous) / 1.02**month
        previous = cumulative
    got = discounted_expected_purchases(
        model, frequency=x, recency=t_x, T=age, months=6, discount_rate=0.02, time_unit="W"
    )
    np.testing.assert_allclose(got, by_definition, rtol=1e-12)


def test_rejects_an_unknown_time_unit() -> None:
    with pytest.raises(StatsError, match="time_unit"):
        discounted_expected_purchases(
            BGNBD,
            frequency=[1],
            recency=[1],
            T=[2],
            time_unit="Y",  # type: ignore[arg-type]
        )
