"""The vectorised summary agrees with a row-by-row reading of the definition."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dangol.stats.summary import summarize_transactions

START = dt.date(2023, 1, 2)
END = START + dt.timedelta(days=40)

transactions = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),  # customer
        st.integers(min_value=0, max_value=60),  # day after START (some after END)
        st.integers(min_value=1, max_value=500).map(lambda cents: cents / 100),
    ),
    min_size=1,
    max_size=40,
)


def by_hand(log: list[tuple[int, int, float]], freq: str) -> dict[int, tuple[float, ...]]:
    """frequency, recency, T, monetary per customer, one row at a time."""

    def period(day: int) -> int:
        date = START + dt.timedelta(days=day)
        if freq == "D":
            return date.toordinal()
        return (date - dt.timedelta(days=date.weekday())).toordinal() // 7

    end = period((END - START).days)
    spend: dict[int, dict[int, float]] = {}
    for customer, day, value in log:
        if period(day) <= end:
            periods = spend.setdefault(customer, {})
            periods[period(day)] = periods.get(period(day), 0.0) + value
    out = {}
    for customer, periods in spend.items():
        ordered = sorted(periods)
        repeat = [periods[p] for p in ordered[1:]]
        out[customer] = (
            float(len(ordered) - 1),
            float(ordered[-1] - ordered[0]),
            float(end - ordered[0]),
            sum(repeat) / len(repeat) if repeat else 0.0,
        )
    return out


@settings(max_examples=60, deadline=None)
@given(log=transactions, freq=st.sampled_from(["D", "W"]))
def test_matches_the_definition(log: list[tuple[int, int, float]], freq: str) -> None:
    expected = by_hand(log, freq)
    if not expected:
        return
    customers, days, values = zip(*log, strict=True)
    summary = summarize_transactions(
        customer_ids=np.array(customers),
        dates=np.datetime64(START) + np.array(days),
        monetary=np.array(values),
        calibration_end=END,
        freq=freq,  # type: ignore[arg-type]
    )
    assert summary.customer_ids.tolist() == sorted(expected)
    got = np.stack((summary.frequency, summary.recency, summary.T, summary.monetary), axis=1)
    np.testing.assert_allclose(got, [expected[c] for c in sorted(expected)], rtol=1e-12)
