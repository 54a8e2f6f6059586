"""Survey statistics against values worked out by hand (arithmetic in the comments)."""

from __future__ import annotations

import math

import pytest

from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError
from dangol.stats.survey import (
    ces,
    compare_means,
    compare_nps,
    csat,
    knps,
    nps,
    nps_from_counts,
    wilson_interval,
)

Z95 = 1.959963984540054


def test_nps_with_its_interval() -> None:
    # 10 answers: promoters 10, 10, 9, 9, 10 (5); passives 8, 7 (2); detractors 6, 5, 0 (3).
    result = nps([10, 9, 9, 8, 7, 6, 5, 0, 10, 10])
    # NPS = 100·(5/10 − 3/10) = 20.
    # Var = (0.5 + 0.3 − 0.2²)/10 = 0.76/10 = 0.076; SE = 100·√0.076 = 27.5681.
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.score == pytest.approx(20.0)
    assert result.standard_error == pytest.approx(27.5681, abs=1e-4)
    # 20 ± 1.959964·27.5681 = 20 ± 54.0325.
    assert result.interval.low == pytest.approx(-34.0325, abs=1e-4)
    assert result.interval.high == pytest.approx(74.0325, abs=1e-4)


def test_nps_interval_is_clipped_to_the_scale() -> None:
    # 3 promoters, 1 detractor: 50 ± 1.96·100·√((0.75 + 0.25 − 0.25)/4) = 50 ± 84.9.
    result = nps_from_counts(promoters=3, passives=0, detractors=1)
    assert result.score == pytest.approx(50.0)
    assert result.interval.high == 100.0
    assert result.interval.low == pytest.approx(50 - Z95 * 100 * math.sqrt(0.75 / 4))


def test_knps_counts_six_and_seven_against_one_to_four() -> None:
    # Answers 7, 6, 6, 5, 4, 1, 7, 3: promoters 4, passive 1, detractors 3 of 8.
    result = knps([7, 6, 6, 5, 4, 1, 7, 3])
    # KNPS = 100·(4/8 − 3/8) = 12.5; Var = (0.5 + 0.375 − 0.125²)/8 = 0.859375/8.
    assert result.score == pytest.approx(12.5)
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.859375 / 8))


def test_nps_change_between_two_periods() -> None:
    before = nps_from_counts(promoters=40, passives=30, detractors=30)
    after = nps_from_counts(promoters=60, passives=20, detractors=20)
    # Before: 10 points, var = (0.4 + 0.3 − 0.1²)/100 = 0.0069.
    # After: 40 points, var = (0.6 + 0.2 − 0.4²)/100 = 0.0064.
    # SE of the change = 100·√(0.0069 + 0.0064) = 100·√0.0133 = 11.5326.
    change = compare_nps(before, after)
    assert change.difference == pytest.approx(30.0)
    assert change.standard_error == pytest.approx(11.5326, abs=1e-4)
    # z = 30/11.5326 = 2.6013; two-sided p = 2·(1 − Φ(2.6013)) = 0.00929.
    assert change.statistic == pytest.approx(2.6013, abs=1e-4)
    assert change.p_value == pytest.approx(0.00929, abs=1e-5)
    assert change.df is None


def test_csat_mean_interval_and_top_boxes() -> None:
    # Answers 5, 4, 4, 3, 5, 2, 5: sum 28, mean 4.
    # Squared deviations 1+0+0+1+1+4+1 = 8; s² = 8/6; s = 1.154701.
    # SE = s/√7 = 0.436436; t(0.975, 6) = 2.446912; half-width 1.067920.
    result = csat([5, 4, 4, 3, 5, 2, 5])
    assert result.mean == pytest.approx(4.0)
    assert result.std == pytest.approx(1.154701, abs=1e-6)
    assert result.standard_error == pytest.approx(0.436436, abs=1e-6)
    assert result.interval.low == pytest.approx(4 - 1.067920, abs=1e-6)
    assert result.interval.high == pytest.approx(4 + 1.067920, abs=1e-6)
    # Top box: 3 of 7 answered 5; top 2 boxes: 5 of 7 answered 4 or 5.
    assert result.top_box.count == 3
    assert result.top2_box.estimate == pytest.approx(5 / 7)


def test_wilson_interval_by_hand() -> None:
    # 3 of 7, z = 1.959964: z² = 3.841459, p = 0.428571.
    # centre = (p + z²/14)/(1 + z²/7) = (0.428571 + 0.274390)/1.548780 = 0.453880.
    # half = z/1.548780 · √(p(1−p)/7 + z²/196) = 1.265489 · √(0.034985 + 0.019599)
    #      = 1.265489 · 0.233632 = 0.295660.
    interval = wilson_interval(3, 7)
    assert interval.low == pytest.approx(0.453880 - 0.295660, abs=2e-6)
    assert interval.high == pytest.approx(0.453880 + 0.295660, abs=2e-6)


def test_wilson_interval_stays_inside_zero_and_one() -> None:
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(10, 10).high == 1.0


def test_ces_uses_a_seven_point_scale() -> None:
    result = ces([7, 6, 6, 5, 1])
    assert result.mean == pytest.approx(5.0)
    assert (result.top_box.count, result.top2_box.count) == (1, 3)


def test_welch_change_in_means() -> None:
    before = csat([5, 4, 4, 3, 5, 2, 5])  # mean 4, s² = 8/6, n = 7
    after = csat([5, 5, 4, 4, 5, 3, 5, 5, 4])  # mean 40/9, s² = (…)/8, n = 9
    # After: deviations from 4.444: 5·(0.556²) + 3·(0.444²) + 1.444² = 1.5432+0.5926+2.0864
    #        = 4.2222; s² = 4.2222/8 = 0.527778.
    # SE² = (8/6)/7 + 0.527778/9 = 0.190476 + 0.058642 = 0.249118; SE = 0.499117.
    change = compare_means(before, after)
    assert change.difference == pytest.approx(40 / 9 - 4)
    assert change.standard_error == pytest.approx(0.499117, abs=1e-6)
    # df = 0.249118² / (0.190476²/6 + 0.058642²/8) = 0.062060/(0.006047 + 0.000430) = 9.582.
    assert change.df == pytest.approx(9.582, abs=1e-3)
    # t = 0.444444/0.499117 = 0.890461; p from t(9.582) = 0.39503.
    assert change.statistic == pytest.approx(0.890461, abs=1e-6)
    assert change.p_value == pytest.approx(0.39503, abs=1e-5)


@pytest.mark.parametrize("bad", [11, -1, 7.5, float("nan")])
def test_scores_outside_the_scale_are_named(bad: float) -> None:
    with pytest.raises(InvalidSummaryError, match="whole numbers from 0 to 10") as caught:
        nps([10, 9, bad])
    assert caught.value.row == 2


def test_no_answers_is_not_enough() -> None:
    with pytest.raises(NotEnoughDataError):
        nps([])
    with pytest.raises(NotEnoughDataError):
        compare_means(csat([5]), csat([4, 5]))


def test_single_answer_has_no_interval() -> None:
    result = csat([4])
    assert result.mean == 4.0
    assert math.isnan(result.interval.low)
