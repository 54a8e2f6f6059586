"""Key-driver statistics: Johnson's relative weights, theme impact, priority quadrants."""

from __future__ import annotations

import numpy as np
import pytest

from dangol.stats import (
    InvalidSummaryError,
    NotEnoughDataError,
    Quadrant,
    TooFewResponsesError,
    attribute_drivers,
    compare_nps,
    nps,
    priority_quadrants,
    relative_weights,
    theme_drivers,
)


def _ols_r_squared(y: np.ndarray, x: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    residual = y - design @ coef
    return float(1 - residual.var() / y.var())


def _johnson_by_svd(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Johnson (2000) as the paper computes it: the orthogonal Z = P Qᵀ from the SVD
    of the standardised ratings, the outcome regressed on Z, each rating on Z."""
    zx = (x - x.mean(axis=0)) / x.std(axis=0)
    zy = (y - y.mean()) / y.std()
    p, _delta, qt = np.linalg.svd(zx, full_matrices=False)
    z = p @ qt  # orthonormal columns, the closest to zx
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # column j: rating j regressed on Z
    return (lam.T**2) @ (beta**2) / len(y) ** 2  # both regressions scale with sqrt(n)


def _survey(n: int = 400, seed: int = 3) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Speed drives the NPS; kindness a little (and correlates with speed); price not."""
    rng = np.random.default_rng(seed)
    speed = rng.integers(1, 6, n).astype(float)
    kindness = np.clip(speed + rng.integers(-2, 3, n), 1, 5)
    price = rng.integers(1, 6, n).astype(float)
    score = np.clip(np.round(2.2 * speed + 0.4 * kindness + rng.normal(0, 1.2, n) - 2.5), 0, 10)
    return score, {"price": price, "kindness": kindness, "speed": speed}


def test_relative_weights_sum_to_the_r_squared_of_least_squares():
    score, attributes = _survey()
    found = attribute_drivers(score, attributes)
    x = np.column_stack([attributes[d.name] for d in found.drivers])
    assert found.r_squared == pytest.approx(_ols_r_squared(score, x), abs=1e-10)
    assert sum(d.weight for d in found.drivers) == pytest.approx(found.r_squared, abs=1e-10)
    assert sum(d.share for d in found.drivers) == pytest.approx(1.0)


def test_relative_weights_match_johnsons_svd_computation():
    score, attributes = _survey(n=250, seed=11)
    found = attribute_drivers(score, attributes, resamples=10)
    x = np.column_stack([attributes[d.name] for d in found.drivers])
    expected = _johnson_by_svd(score, x)
    assert [d.weight for d in found.drivers] == pytest.approx(list(expected), abs=1e-10)


# R's mtcars (Motor Trend 1974): mpg, cyl, disp, hp, wt of 32 cars.
MTCARS = np.array([
    (21.0, 6, 160.0, 110, 2.620), (21.0, 6, 160.0, 110, 2.875), (22.8, 4, 108.0, 93, 2.320),
    (21.4, 6, 258.0, 110, 3.215), (18.7, 8, 360.0, 175, 3.440), (18.1, 6, 225.0, 105, 3.460),
    (14.3, 8, 360.0, 245, 3.570), (24.4, 4, 146.7, 62, 3.190), (22.8, 4, 140.8, 95, 3.150),
    (19.2, 6, 167.6, 123, 3.440), (17.8, 6, 167.6, 123, 3.440), (16.4, 8, 275.8, 180, 4.070),
    (17.3, 8, 275.8, 180, 3.730), (15.2, 8, 275.8, 180, 3.780), (10.4, 8, 472.0, 205, 5.250),
    (10.4, 8, 460.0, 215, 5.424), (14.7, 8, 440.0, 230, 5.345), (32.4, 4, 78.7, 66, 2.200),
    (30.4, 4, 75.7, 52, 1.615), (33.9, 4, 71.1, 65, 1.835), (21.5, 4, 120.1, 97, 2.465),
    (15.5, 8, 318.0, 150, 3.520), (15.2, 8, 304.0, 150, 3.435), (13.3, 8, 350.0, 245, 3.840),
    (19.2, 8, 400.0, 175, 3.845), (27.3, 4, 79.0, 66, 1.935), (26.0, 4, 120.3, 91, 2.140),
    (30.4, 4, 95.1, 113, 1.513), (15.8, 8, 351.0, 264, 3.170), (19.7, 6, 145.0, 175, 2.770),
    (15.0, 8, 301.0, 335, 3.570), (21.4, 4, 121.0, 109, 2.780)])


def test_relative_weights_reproduce_the_published_mtcars_example():
    # The R package rwa (rwa_multiregress, "regression methods" article): mpg on cyl, disp,
    # hp and wt gives raw weights .2096904, .1883043, .1799590, .2706812 and rescaled
    # weights 24.70914, 22.18908, 21.20570, 31.89607 %.
    found = attribute_drivers(MTCARS[:, 0], dict(zip(["cyl", "disp", "hp", "wt"],
                                                     MTCARS[:, 1:].T, strict=True)),
                              resamples=10)
    weights = {d.name: round(d.weight, 7) for d in found.drivers}
    assert weights == {"cyl": 0.2096904, "disp": 0.1883043, "hp": 0.1799590, "wt": 0.2706812}
    shares = [round(100 * d.share, 5) for d in found.drivers]
    assert shares == [31.89607, 24.70914, 22.18908, 21.20570]
    assert found.r_squared == pytest.approx(0.8486348, abs=1e-7)  # lm(mpg ~ cyl+disp+hp+wt)


def test_uncorrelated_attributes_weigh_their_squared_correlation():
    # Two ±1 columns in a 2×2 design: exactly uncorrelated.
    a = np.tile([1.0, 1.0, -1.0, -1.0], 10)
    b = np.tile([1.0, -1.0, 1.0, -1.0], 10)
    rng = np.random.default_rng(5)
    y = 3 * a + b + rng.normal(0, 1, a.size)
    found = attribute_drivers(y, {"a": a, "b": b}, resamples=50)
    for driver in found.drivers:
        assert driver.weight == pytest.approx(driver.correlation**2, abs=1e-12)
    assert [d.name for d in found.drivers] == ["a", "b"]


def test_weights_from_a_correlation_matrix_two_identical_attributes_share():
    # y correlates 0.6 with x1 and x2, which are the same rating asked twice.
    weights, r_squared = relative_weights([[1.0, 0.6, 0.6], [0.6, 1.0, 1.0], [0.6, 1.0, 1.0]])
    assert r_squared == pytest.approx(0.36)
    assert list(weights) == pytest.approx([0.18, 0.18])


def test_the_known_driver_comes_first_with_an_interval_around_it():
    score, attributes = _survey()
    found = attribute_drivers(score, attributes)
    assert [d.name for d in found.drivers] == ["speed", "kindness", "price"]
    speed = found.drivers[0]
    assert speed.interval.low < speed.weight < speed.interval.high
    assert speed.interval.low > found.drivers[1].interval.high  # clearly ahead
    assert 0 <= speed.share_interval.low < speed.share < speed.share_interval.high <= 1
    assert speed.correlation > 0.8 and speed.mean == pytest.approx(attributes["speed"].mean())
    assert found.resamples == 500 and found.n == 400


def test_bootstrap_is_repeatable_with_the_seed():
    score, attributes = _survey(n=120)
    first = attribute_drivers(score, attributes, resamples=100)
    again = attribute_drivers(score, attributes, resamples=100)
    other = attribute_drivers(score, attributes, resamples=100, seed=1)
    assert first == again
    assert first.drivers[0].interval != other.drivers[0].interval


def test_very_large_inputs_draw_fewer_resamples_and_say_so(monkeypatch):
    from dangol.stats import drivers

    score, attributes = _survey(n=300)
    monkeypatch.setattr(drivers, "MAX_BOOTSTRAP_WORK", 1000)
    found = attribute_drivers(score, attributes)
    assert found.resamples == drivers.MIN_RESAMPLES
    assert found.drivers[0].interval.low < found.drivers[0].weight
    assert attribute_drivers(score, attributes, resamples=50).resamples == 50


def test_missing_ratings_use_complete_responses_and_report_n():
    score, attributes = _survey(n=200)
    attributes["price"][:30] = np.nan
    score = score.copy()
    score[190:] = np.nan
    found = attribute_drivers(score, attributes, resamples=20)
    assert found.n == 160
    keep = ~np.isnan(score) & ~np.isnan(attributes["price"])
    x = np.column_stack([attributes[d.name][keep] for d in found.drivers])
    assert found.r_squared == pytest.approx(_ols_r_squared(score[keep], x), abs=1e-10)


def test_too_few_complete_responses_is_said_not_computed():
    score, attributes = _survey(n=29)
    with pytest.raises(TooFewResponsesError, match=r"at least 30 .* found 29") as caught:
        attribute_drivers(score, attributes)
    assert (caught.value.n, caught.value.needed) == (29, 30)
    assert isinstance(caught.value, NotEnoughDataError)
    # With many attributes the floor is attributes + 10.
    rng = np.random.default_rng(0)
    many = {f"q{i}": rng.integers(1, 6, 40).astype(float) for i in range(35)}
    with pytest.raises(TooFewResponsesError, match="at least 45"):
        attribute_drivers(rng.integers(0, 11, 40), many)


def test_mismatched_lengths_name_the_attribute():
    score, attributes = _survey(n=50)
    attributes["kindness"] = attributes["kindness"][:49]
    with pytest.raises(InvalidSummaryError, match=r"'kindness' has 49 values .* outcome has 50"):
        attribute_drivers(score, attributes)


def test_a_constant_attribute_is_named():
    score, attributes = _survey(n=60)
    attributes["price"] = np.full(60, 4.0)
    with pytest.raises(InvalidSummaryError, match="attribute 'price' has the same value") as e:
        attribute_drivers(score, attributes)
    assert e.value.column == "price"
    with pytest.raises(InvalidSummaryError, match="the outcome has the same value"):
        attribute_drivers(np.full(60, 10.0), {"speed": attributes["speed"]})


def test_other_bad_attribute_input():
    score, attributes = _survey(n=50)
    with pytest.raises(InvalidSummaryError, match="at least one attribute"):
        attribute_drivers(score, {})
    attributes["speed"] = attributes["speed"].copy()
    attributes["speed"][3] = np.inf
    with pytest.raises(InvalidSummaryError, match="row 3"):
        attribute_drivers(score, attributes)
    with pytest.raises(InvalidSummaryError, match="must hold numbers"):
        attribute_drivers(score, {"speed": ["fast"] * 50})


# Theme drivers ------------------------------------------------------------------


def test_theme_impact_is_share_times_gap_with_the_nps_interval():
    # 20 responses complain about delivery (NPS −50), 80 do not (NPS +50).
    with_theme = [0] * 12 + [8] * 6 + [10] * 2
    rest = [10] * 50 + [8] * 20 + [3] * 10
    scores = np.array(with_theme + rest)
    delivery = np.arange(scores.size) < 20
    found = theme_drivers(scores, {"delivery": delivery, "price": np.zeros(100, bool)})
    assert found.overall == pytest.approx(nps(scores).score)
    (driver,) = found.drivers
    assert driver.score == pytest.approx(-50.0) and driver.rest_score == pytest.approx(50.0)
    assert driver.gap == pytest.approx(100.0)
    assert driver.share == pytest.approx(0.2)
    assert driver.impact == pytest.approx(20.0)
    # If the complaints' responses scored like the rest, the NPS would be the rest's.
    assert found.overall + driver.impact == pytest.approx(driver.rest_score)
    expected = compare_nps(nps(with_theme), nps(rest)).interval
    assert driver.gap_interval == expected
    assert driver.impact_interval.low == pytest.approx(0.2 * expected.low)
    assert found.too_few == (("price", 0),)


def test_theme_drivers_on_a_mean_scale_and_the_order_by_impact():
    rng = np.random.default_rng(2)
    scores = rng.integers(3, 6, 200)
    staff = np.zeros(200, bool)
    staff[:10] = True
    scores[:10] = 1
    parking = np.zeros(200, bool)
    parking[100:160] = True
    scores[100:160] = np.maximum(scores[100:160] - 1, 1)
    found = theme_drivers(scores, {"staff": staff, "parking": parking}, scale="mean", low=1,
                          high=5)
    assert [d.name for d in found.drivers] == ["parking", "staff"]
    staff_driver = found.drivers[1]
    assert staff_driver.score == 1.0
    assert staff_driver.gap_interval.low < staff_driver.gap < staff_driver.gap_interval.high


def test_theme_drivers_refuse_bad_input():
    with pytest.raises(InvalidSummaryError, match="'late' has 3 flags but there are 4"):
        theme_drivers([1, 2, 9, 10], {"late": [True, False, False]})
    with pytest.raises(InvalidSummaryError, match="whole numbers from 0 to 10"):
        theme_drivers([1, 11], {})
    with pytest.raises(NotEnoughDataError):
        theme_drivers([], {})
    few = theme_drivers([0, 10, 10, 9, 3, 8], {"late": [True, True, False, False, False, False]})
    assert few.drivers == () and few.too_few == (("late", 2),)


# Priority quadrants -------------------------------------------------------------


def test_priority_quadrants():
    quadrants = priority_quadrants([0.4, 0.35, 0.05, 0.1], [0.3, 0.9, 0.2, 0.95])
    assert quadrants == [Quadrant.FIX_FIRST, Quadrant.KEEP_UP, Quadrant.LOWER_PRIORITY,
                         Quadrant.POSSIBLE_OVERKILL]
    assert priority_quadrants([0.2, 0.2], [0.5, 0.5]) == [Quadrant.KEEP_UP] * 2
    assert priority_quadrants([0.3], [0.1], importance_cut=0.5, performance_cut=0.5) == [
        Quadrant.LOWER_PRIORITY]
    assert priority_quadrants([], []) == []
    with pytest.raises(InvalidSummaryError, match="2 importances but 1 performances"):
        priority_quadrants([0.1, 0.2], [0.5])
