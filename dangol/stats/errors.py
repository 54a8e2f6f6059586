"""Errors raised by :mod:`dangol.stats`.

All of them subclass :class:`ValueError`, so a caller that only knows the
standard library still catches bad input, and each message names the problem.
"""

from __future__ import annotations


class StatsError(ValueError):
    """Input or data that a statistic or model cannot work with."""


class InvalidSummaryError(StatsError):
    """A customer summary, transaction log or set of answers with impossible values.

    ``problem`` says what is wrong, ``column`` names the input, ``row`` is the
    0-based position of the first offending value (``None`` when the problem
    is not tied to one row) and ``count`` is how many rows share the problem.
    The message combines them; a file reader can re-word the row as a line.
    """

    def __init__(
        self, problem: str, *, column: str, row: int | None = None, count: int = 1
    ) -> None:
        self.problem = problem
        self.column = column
        self.row = row
        self.count = count
        super().__init__(problem + self.where())

    def where(self, *, first_row_label: str = "row", offset: int = 0) -> str:
        """`` (row 7; 3 rows in all)``, with rows renamed and shifted as asked."""
        if self.row is None:
            return ""
        more = f"; {self.count} rows in all" if self.count > 1 else ""
        return f" ({first_row_label} {self.row + offset}{more})"


class NotEnoughDataError(StatsError):
    """Too few customers (or repeat buyers, or answers) to estimate anything."""


class ConvergenceError(StatsError):
    """A maximum-likelihood fit that did not reach a maximum."""
