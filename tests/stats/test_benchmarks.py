"""Own score against a published benchmark: standard errors and the test."""

import math

import pytest

from dangol.stats.benchmarks import benchmark_standard_error, compare_to_benchmark
from dangol.stats.errors import StatsError


def test_standard_error_from_a_published_interval():
    result = benchmark_standard_error("nps", 30, ci_low=26.08, ci_high=33.92)
    assert result.basis == "interval"
    assert result.standard_error == pytest.approx(3.92 / 1.959964, rel=1e-4)


def test_standard_error_of_a_share_from_n_is_exact():
    result = benchmark_standard_error("csat_top2", 80, n=400)
    assert result.basis == "n"
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.8 * 0.2 / 400))


def test_nps_from_n_uses_the_largest_possible_spread():
    result = benchmark_standard_error("nps", 20, n=100)
    assert result.basis == "n_bound"
    assert result.standard_error == pytest.approx(100 * math.sqrt((1 - 0.04) / 100))


def test_mean_from_n_uses_the_widest_spread_of_the_scale():
    result = benchmark_standard_error("ces_mean", 5.2, n=36)
    assert result.standard_error == pytest.approx(3 / 6)


def test_no_n_and_no_interval_means_no_test():
    comparison = compare_to_benchmark(own_value=40, own_standard_error=2, metric="nps",
                                      value=30)
    assert comparison.difference == 10
    assert comparison.significant is None and comparison.p_value is None
    assert comparison.basis == "none"


def test_a_clear_difference_is_significant_and_a_small_one_is_not():
    # CSAT 85 % (SE 1.5) against 80 % of 400 respondents (SE 2): z = 5 / 2.5 = 2.
    clear = compare_to_benchmark(own_value=85, own_standard_error=1.5, metric="csat_top2",
                                 value=80, n=400)
    assert clear.standard_error == pytest.approx(2.5)
    assert clear.p_value == pytest.approx(0.0455, abs=1e-3)
    assert clear.significant is True
    assert clear.interval.low == pytest.approx(5 - 1.959964 * 2.5)
    small = compare_to_benchmark(own_value=82, own_standard_error=1.5, metric="csat_top2",
                                 value=80, n=400)
    assert small.significant is False


def test_bad_benchmarks_are_refused():
    with pytest.raises(StatsError, match="contain"):
        benchmark_standard_error("nps", 50, ci_low=10, ci_high=20)
    with pytest.raises(StatsError, match="unknown metric"):
        benchmark_standard_error("mood", 1, n=10)
    with pytest.raises(StatsError, match="at least 2"):
        benchmark_standard_error("nps", 10, n=1)
