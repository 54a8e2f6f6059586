"""Keyword aggregation, emerging topics and negative spikes."""

import math

import pytest
from scipy import stats

from dangol.textkit import detect_emerging, detect_negative_spikes, top_keywords_by_period
from dangol.textkit.trends import binomial_sf


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [
        (0, 10, 0.3),
        (3, 10, 0.3),
        (10, 10, 0.5),
        (11, 10, 0.5),
        (40, 100, 0.2),
        (700, 1000, 0.65),
        (5, 2000, 0.001),
        (1, 1, 0.999),
    ],
)
def test_binomial_sf_matches_scipy(k: int, n: int, p: float) -> None:
    assert binomial_sf(k, n, p) == pytest.approx(
        float(stats.binom.sf(k - 1, n, p)), rel=1e-7, abs=1e-14
    )


def test_top_keywords_by_period_counts_once_per_comment_and_averages_sentiment() -> None:
    records = [
        ("2024-11", ["배송", "배송", "포장"], -0.8),
        ("2024-11", ["배송"], -0.4),
        ("2024-11", ["색상"], 0.9),
        ("2024-12", ["배송"], 0.6),
    ]
    out = top_keywords_by_period(records)
    nov = {s.keyword: s for s in out["2024-11"]}
    assert [s.keyword for s in out["2024-11"]] == ["배송", "색상", "포장"]
    assert nov["배송"].count == 2
    assert nov["배송"].mean_sentiment == pytest.approx(-0.6)
    assert nov["배송"].negative_share == 1.0
    assert out["2024-12"][0].count == 1


def test_detect_emerging_flags_a_real_surge_only() -> None:
    baseline = {"배송": 200, "포장": 50, "환불": 10, "색상": 40}
    recent = {"배송": 52, "포장": 12, "환불": 30, "색상": 11, "누락": 9}
    found = detect_emerging(recent, baseline, recent_total=1000, baseline_total=4000)
    terms = [e.term for e in found]
    assert terms[0] == "환불"
    assert "누락" in terms  # new, with enough occurrences
    assert "배송" not in terms and "포장" not in terms
    top = found[0]
    assert top.recent == 30 and top.baseline == 10
    assert top.expected == pytest.approx(8.0)
    assert top.rate_ratio > 5 and top.q_value < 0.01


def test_detect_emerging_respects_min_count() -> None:
    assert detect_emerging({"새": 3}, {}, recent_total=100, baseline_total=1000) == []


def test_detect_emerging_with_empty_recent_window() -> None:
    assert detect_emerging({}, {"a": 5}) == []


def test_detect_negative_spikes() -> None:
    baseline = {"delivery": (20, 400), "quality": (30, 300)}
    recent = {"delivery": (40, 100), "quality": (11, 100), "app": (2, 3)}
    spikes = detect_negative_spikes(recent, baseline)
    assert [s.term for s in spikes] == ["delivery"]
    s = spikes[0]
    assert s.recent_share == 0.4
    assert s.baseline_share == pytest.approx(21 / 402, abs=1e-4)
    assert math.isfinite(s.p_value) and s.p_value < 1e-10
