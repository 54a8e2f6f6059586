"""Validation of per-customer summaries: each bad input is named."""

from __future__ import annotations

import pytest

from dangol.stats.errors import InvalidSummaryError, StatsError
from dangol.stats.purchases import PurchaseSummary

GOOD = {"frequency": [0, 2, 1], "recency": [0.0, 5.0, 3.0], "T": [10.0, 10.0, 3.0]}


def with_column(name: str, values: list[float]) -> dict[str, list[float]]:
    return {**GOOD, name: values}


@pytest.mark.parametrize(
    ("column", "values", "message", "row"),
    [
        ("frequency", [0, -1, 1], "frequency must not be negative", 1),
        ("frequency", [0, 2, 1.5], "whole number", 2),
        ("recency", [0.0, -5.0, 3.0], "recency must not be negative", 1),
        ("T", [10.0, -1.0, 3.0], "T must not be negative", 1),
        ("recency", [0.0, 5.0, 3.5], "recency must not exceed T", 2),
        ("recency", [2.0, 5.0, 3.0], "frequency is 0 but recency is 2", 0),
        ("T", [10.0, float("nan"), 3.0], "T is missing or not finite", 1),
    ],
)
def test_bad_values_are_named_with_their_row(
    column: str, values: list[float], message: str, row: int
) -> None:
    with pytest.raises(InvalidSummaryError, match=message) as caught:
        PurchaseSummary(**with_column(column, values))
    assert caught.value.column == column
    assert caught.value.row == row
    assert f"(row {row})" in str(caught.value)


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidSummaryError, StatsError)
    assert issubclass(StatsError, ValueError)


def test_counts_every_offending_row() -> None:
    with pytest.raises(InvalidSummaryError, match=r"\(row 0; 2 rows in all\)"):
        PurchaseSummary(frequency=[-1, -2, 0], recency=[0, 0, 0], T=[1, 1, 1])


def test_negative_spend_is_rejected() -> None:
    with pytest.raises(InvalidSummaryError, match="monetary must not be negative"):
        PurchaseSummary(**GOOD, monetary=[0.0, -3.0, 1.0])  # type: ignore[arg-type]


def test_columns_must_have_equal_lengths() -> None:
    with pytest.raises(InvalidSummaryError, match="differ in length"):
        PurchaseSummary(frequency=[0, 1], recency=[0.0], T=[1.0, 2.0])


def test_recency_equal_to_age_is_fine() -> None:
    summary = PurchaseSummary(frequency=[1], recency=[38.86], T=[38.86])
    assert summary.n_repeat_buyers == 1
