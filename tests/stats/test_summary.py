"""Summaries from a transaction log: a hand-written log and the CDNOW sample."""

from __future__ import annotations

import numpy as np
import pytest

from dangol.stats.errors import InvalidSummaryError, NotEnoughDataError
from dangol.stats.purchases import PurchaseSummary
from dangol.stats.summary import Freq, summarize_transactions
from tests.stats.conftest import cdnow_file

# (customer, date, amount); the calibration ends on Friday 2020-01-31.
LOG = [
    (7, "2020-01-01", 10.0),
    (7, "2020-01-01", 5.0),  # same day as the first purchase: one period, 15.0
    (7, "2020-01-04", 20.0),
    (7, "2020-01-10", 30.0),
    (7, "2020-02-05", 99.0),  # after the calibration end
    (3, "2020-01-20", 8.0),
    (5, "2020-01-15", 4.0),
    (5, "2020-01-15", 6.0),
    (5, "2020-01-31", 12.0),
    (5, "2020-01-31", 3.0),
    (9, "2020-02-03", 50.0),  # first purchase after the end: not a customer yet
    (11, "2020-01-20", 1.0),
    (11, "2020-02-01", 2.0),  # Saturday after the end, in the end's Monday-week
]


def summarize(freq: Freq, multiplier: float = 1.0) -> PurchaseSummary:
    ids, dates, amounts = zip(*LOG, strict=True)
    return summarize_transactions(
        customer_ids=np.array(ids),
        dates=np.array(dates, dtype="datetime64[D]"),
        monetary=np.array(amounts),
        calibration_end="2020-01-31",
        freq=freq,
        freq_multiplier=multiplier,
    )


def test_daily_summary_by_hand() -> None:
    summary = summarize("D")
    assert summary.customer_ids.tolist() == [3, 5, 7, 11]
    # 3: one purchase on Jan 20; T = Jan 31 − Jan 20 = 11 days.
    # 5: days Jan 15 and Jan 31 → x = 1, t_x = 16, T = 16, repeat spend 12 + 3 = 15.
    # 7: days Jan 1, 4, 10 → x = 2, t_x = 9, T = 30, repeat spends 20 and 30 → 25.
    # 11: Jan 20 only (Feb 1 is after the end) → x = 0, T = 11.
    assert summary.frequency.tolist() == [0, 1, 2, 0]
    assert summary.recency.tolist() == [0, 16, 9, 0]
    assert summary.T.tolist() == [11, 16, 30, 11]
    assert summary.monetary.tolist() == [0, 15, 25, 0]


def test_weekly_summary_uses_monday_weeks_like_pandas() -> None:
    summary = summarize("W")
    # Weeks start on Monday: Jan 1 and 4 fall in the week of Dec 30, Jan 10 in
    # that of Jan 6; the end (Jan 31) is in the week of Jan 27, and so is Feb 1.
    # 7: weeks Dec 30, Jan 6 → x = 1, t_x = 1, T = 4; the first week's spend is
    #    10 + 5 + 20 and the repeat week's 30.
    # 11: weeks Jan 20 and Jan 27 → x = 1, t_x = 1, T = 1, repeat spend 2.
    assert summary.customer_ids.tolist() == [3, 5, 7, 11]
    assert summary.frequency.tolist() == [0, 1, 1, 1]
    assert summary.recency.tolist() == [0, 2, 1, 1]
    assert summary.T.tolist() == [1, 2, 4, 1]
    assert summary.monetary.tolist() == [0, 15, 30, 2]


def test_multiplier_turns_days_into_weeks() -> None:
    summary = summarize("D", 7.0)
    assert summary.T.tolist() == pytest.approx([11 / 7, 16 / 7, 30 / 7, 11 / 7])


def test_string_ids_and_iso_strings() -> None:
    summary = summarize_transactions(
        customer_ids=["b", "a", "b"],
        dates=["2021-03-01", "2021-03-02", "2021-03-05T13:00:00"],
        calibration_end="2021-03-10",
    )
    assert summary.customer_ids.tolist() == ["a", "b"]
    assert summary.frequency.tolist() == [0, 1]
    assert summary.recency.tolist() == [0, 4]
    assert summary.T.tolist() == [8, 9]
    assert summary.monetary is None


def test_cdnow_sample_reproduces_the_literature_summary() -> None:
    raw = np.loadtxt(cdnow_file("CDNOW_sample.txt"), dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    summary = summarize_transactions(
        customer_ids=raw[:, 1].astype(np.int64),
        dates=dates,
        monetary=raw[:, 4].astype(float),
        calibration_end="1997-09-30",
        freq="D",
        freq_multiplier=7,
    )
    table = np.genfromtxt(
        cdnow_file("cdnow_customers_summary_with_transactions.csv"), delimiter=",", names=True
    )
    assert summary.customer_ids.tolist() == table["ID"].astype(int).tolist()
    np.testing.assert_array_equal(summary.frequency, table["x"])
    np.testing.assert_array_equal(np.round(summary.recency, 2), table["t_x"])
    np.testing.assert_array_equal(np.round(summary.T, 2), table["T"])
    # The file rounds half up, numpy half to even: allow one unit in the last place.
    np.testing.assert_allclose(summary.monetary, table["zbar"], atol=0.0051)


def test_rejects_unreadable_dates() -> None:
    with pytest.raises(InvalidSummaryError, match="not a date"):
        summarize_transactions(
            customer_ids=[1, 2], dates=["2020-01-01", "soon"], calibration_end="2020-02-01"
        )


def test_rejects_mismatched_lengths() -> None:
    with pytest.raises(InvalidSummaryError, match="same length"):
        summarize_transactions(
            customer_ids=[1, 2], dates=["2020-01-01"], calibration_end="2020-02-01"
        )


def test_rejects_missing_amounts() -> None:
    with pytest.raises(InvalidSummaryError, match="monetary is missing") as caught:
        summarize_transactions(
            customer_ids=[1, 2],
            dates=["2020-01-01", "2020-01-02"],
            monetary=[1.0, float("nan")],
            calibration_end="2020-02-01",
        )
    assert caught.value.row == 1


def test_nothing_before_the_calibration_end() -> None:
    with pytest.raises(NotEnoughDataError, match="no transaction on or before"):
        summarize_transactions(customer_ids=[1], dates=["2020-03-01"], calibration_end="2020-02-01")
