"""Reading customer summaries and transaction logs from CSV, writing summaries.

Columns are found by name, case-insensitively, under Dangol's names or the
literature's (``x``, ``t_x``, ``T``, ``zbar``). Values are converted a column
at a time; a bad value is reported with its file line and column, counting
the header as line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dangol.stats._types import AnyArray, FloatArray
from dangol.stats.errors import InvalidSummaryError
from dangol.stats.purchases import PurchaseSummary

SUMMARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_ids": ("id", "customer_id", "customer"),
    "frequency": ("frequency", "x"),
    "recency": ("recency", "t_x"),
    "T": ("t", "age"),
    "monetary": ("monetary", "monetary_value", "zbar"),
}
_FIRST_DATA_LINE = 2


class TextOut(Protocol):
    """Anything with ``write(str)``: a file, ``io.StringIO``, Django's ``self.stdout``."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True, slots=True, eq=False)
class TransactionColumns:
    """A transaction log read from CSV: customer ids, dates, values (optional)."""

    customer_ids: AnyArray
    dates: np.ndarray[tuple[int], np.dtype[np.datetime64]]
    monetary: FloatArray | None


def read_summary_csv(path: Path | str) -> PurchaseSummary:
    """Read ``id,frequency,recency,T[,monetary]`` (or ``ID,x,t_x,T,zbar``) into a summary.

    Raises :class:`InvalidSummaryError` naming the file, line and column of the
    first bad value, or the missing column.
    """
    header, columns = _read_columns(path)
    lowered = [name.strip().lower() for name in header]
    found: dict[str, int] = {}
    for field, aliases in SUMMARY_COLUMNS.items():
        for alias in aliases:
            if alias in lowered:
                found[field] = lowered.index(alias)
                break
    for field in ("frequency", "recency", "T"):
        if field not in found:
            names = " or ".join(repr(a) for a in SUMMARY_COLUMNS[field])
            raise InvalidSummaryError(
                f"{path}: no {field} column (expected {names}; found {', '.join(header)})",
                column=field,
            )
    numbers = {
        field: _floats(path, header[index], columns[index])
        for field, index in found.items()
        if field != "customer_ids"
    }
    ids = _ids(columns[found["customer_ids"]]) if "customer_ids" in found else None
    try:
        return PurchaseSummary(
            frequency=numbers["frequency"],
            recency=numbers["recency"],
            T=numbers["T"],
            monetary=numbers.get("monetary"),
            customer_ids=ids,
        )
    except InvalidSummaryError as exc:
        raise _located(exc, path, header[found.get(exc.column, 0)]) from exc


def read_transactions_csv(
    path: Path | str,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_col: str | None = None,
) -> TransactionColumns:
    """Read the id, date and (optional) value columns of a transaction log.

    Dates are ISO dates (``2024-03-01``, anything after the first ten
    characters — a time, an offset — is ignored, so the date is the one
    written) or ``YYYYMMDD`` as in the CDNOW files. Ids made only of digits
    without leading zeros are read as integers.
    """
    header, columns = _read_columns(path)

    def column(name: str) -> Sequence[str]:
        if name not in header:
            raise InvalidSummaryError(
                f"{path}: no column {name!r} (found {', '.join(header)})", column=name
            )
        return columns[header.index(name)]

    ids = _ids(column(customer_id_col))
    dates = _dates(path, datetime_col, column(datetime_col))
    values = None if monetary_col is None else _floats(path, monetary_col, column(monetary_col))
    return TransactionColumns(customer_ids=ids, dates=dates, monetary=values)


def write_summary_csv(summary: PurchaseSummary, out: TextOut) -> None:
    """Write ``customer_id,frequency,recency,T[,monetary]``, one customer per line."""
    header = ["customer_id", "frequency", "recency", "T"]
    ids = summary.customer_ids
    columns: list[list[str]] = [
        list(map(str, (ids if ids is not None else np.arange(summary.n_customers)).tolist())),
        list(map(str, summary.frequency.astype(np.int64).tolist())),
        list(map(repr, summary.recency.tolist())),
        list(map(repr, summary.T.tolist())),
    ]
    if summary.monetary is not None:
        header.append("monetary")
        columns.append(list(map(repr, summary.monetary.tolist())))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(zip(*columns, strict=True))
    out.write(buffer.getvalue())


def _read_columns(path: Path | str) -> tuple[list[str], list[tuple[str, ...]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidSummaryError(f"cannot read {path}: {exc}", column="file") from exc
    rows = [row for row in rows if row]
    if not rows:
        raise InvalidSummaryError(f"{path} is empty", column="file")
    header = [name.strip() for name in rows[0]]
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    ragged = np.flatnonzero(lengths != len(header))
    if ragged.size:
        line = int(ragged[0]) + 1
        raise InvalidSummaryError(
            f"{path} line {line}: {lengths[ragged[0]]} fields where the header has {len(header)}",
            column="file",
        )
    body = rows[1:]
    if not body:
        return header, [() for _ in header]
    return header, list(zip(*body, strict=True))


def _floats(path: Path | str, name: str, values: Sequence[str]) -> FloatArray:
    text = np.asarray(values, dtype=np.str_)
    try:
        return np.char.strip(text).astype(np.float64)
    except ValueError:
        row = _first_bad(text, float)
        raise InvalidSummaryError(
            f"{path} line {row + _FIRST_DATA_LINE}, column {name!r}: "
            f"{str(text[row])!r} is not a number",
            column=name,
        ) from None


def _ids(values: Sequence[str]) -> AnyArray:
    text = np.char.strip(np.asarray(values, dtype=np.str_))
    if text.size and bool(np.all(np.char.isdigit(text))):
        whole = text.astype(np.int64)
        if bool(np.all(whole.astype(np.str_) == text)):
            return whole
    return text


def _dates(
    path: Path | str, name: str, values: Sequence[str]
) -> np.ndarray[tuple[int], np.dtype[np.datetime64]]:
    """Parse a date column; its first value decides between YYYYMMDD and ISO dates."""
    text = np.char.strip(np.asarray(values, dtype=np.str_))
    if text.size == 0:
        return np.zeros(0, dtype="datetime64[D]")
    first = str(text[0])
    parse = _compact_dates if len(first) == 8 and first.isdigit() else _iso_dates
    try:
        return parse(text)
    except ValueError:
        row = _first_bad(text, lambda value: parse(np.asarray([value])))
        raise InvalidSummaryError(
            f"{path} line {row + _FIRST_DATA_LINE}, column {name!r}: {str(text[row])!r} is not "
            f"a date like {first!r} (use YYYY-MM-DD or YYYYMMDD throughout)",
            column=name,
        ) from None


def _iso_dates(text: AnyArray) -> np.ndarray[tuple[int], np.dtype[np.datetime64]]:
    """``YYYY-MM-DD`` plus anything (a time, an offset) that is ignored."""
    head = np.ascontiguousarray(text.astype("U10"))
    chars = head.view("U1").reshape(-1, 10)
    shaped = (np.char.str_len(head) == 10) & (chars[:, 4] == "-") & (chars[:, 7] == "-")
    if not bool(np.all(shaped)):
        raise ValueError("not an ISO date")
    return head.astype("datetime64[D]")


def _compact_dates(text: AnyArray) -> np.ndarray[tuple[int], np.dtype[np.datetime64]]:
    """YYYYMMDD strings to dates; raises ValueError for an impossible month or day."""
    if not bool(np.all((np.char.str_len(text) == 8) & np.char.isdigit(text))):
        raise ValueError("not a YYYYMMDD date")
    number = text.astype(np.int64)
    year, month, day = number // 10000, number // 100 % 100, number % 100
    first_of_month = (year - 1970) * 12 + (month - 1)
    dates = first_of_month.astype("datetime64[M]").astype("datetime64[D]") + (day - 1)
    ok = (month >= 1) & (month <= 12) & (day >= 1)
    ok &= dates.astype("datetime64[M]") == first_of_month.astype("datetime64[M]")
    if not bool(np.all(ok)):
        raise ValueError("impossible YYYYMMDD date")
    return dates.astype("datetime64[D]")


def _first_bad(text: AnyArray, parse: Callable[[str], object]) -> int:
    """Position of the first value ``parse`` rejects; only runs once a column failed."""
    for row, value in enumerate(text.tolist()):
        try:
            parse(value)
        except ValueError:
            return row
    return 0


def _located(exc: InvalidSummaryError, path: Path | str, header_name: str) -> InvalidSummaryError:
    """The same error worded with the file, its column name and line numbers."""
    if exc.row is None:
        return InvalidSummaryError(f"{path}: {exc}", column=exc.column)
    where = exc.where(first_row_label="line", offset=_FIRST_DATA_LINE)
    # The row stays out of the new error's own fields: the message already has the line.
    return InvalidSummaryError(
        f"{path}, column {header_name!r}: {exc.problem}{where}", column=exc.column
    )
