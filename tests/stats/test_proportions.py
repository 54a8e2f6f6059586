"""The uplift interval against Newcombe's published example (Stat Med 1998;17:873, method 10)."""

import pytest

from dangol.stats.proportions import uplift


@pytest.mark.parametrize(("a", "m", "b", "n", "low", "high"), [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
])
def test_newcombes_hybrid_score_interval_matches_the_published_table(a, m, b, n, low, high):
    result = uplift(a, m, b, n)
    assert result.difference == pytest.approx(a / m - b / n)
    assert result.interval.low == pytest.approx(low, abs=1e-4)
    assert result.interval.high == pytest.approx(high, abs=1e-4)


def test_zero_events_give_a_finite_interval_and_no_effect_shown():
    # 0/10 vs 0/10: the Wald interval collapses to a point; this one does not.
    result = uplift(0, 10, 0, 10)
    assert result.difference == 0
    assert result.interval.low < 0 < result.interval.high
    assert result.p_value == 1.0


def test_an_empty_group_gives_no_comparison():
    assert uplift(3, 10, 0, 0) is None
    assert uplift(0, 0, 3, 10) is None
