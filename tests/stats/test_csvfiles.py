"""Reading and writing the CSV files of the command line."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from dangol.stats.csvfiles import read_summary_csv, read_transactions_csv, write_summary_csv
from dangol.stats.errors import InvalidSummaryError
from tests.stats.conftest import cdnow_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "input.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_both_cdnow_spellings() -> None:
    literature = read_summary_csv(cdnow_file("cdnow_customers_summary_with_transactions.csv"))
    plain = read_summary_csv(cdnow_file("cdnow_customers_summary.csv"))
    assert literature.n_customers == plain.n_customers == 2357
    np.testing.assert_array_equal(literature.frequency, plain.frequency)
    assert literature.monetary is not None and plain.monetary is None
    assert literature.customer_ids[:3].tolist() == [1, 2, 3]


def test_bad_number_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "id,frequency,recency,T\n1,1,2,3\n2,1,two,3\n")
    with pytest.raises(InvalidSummaryError, match=r"line 3, column 'recency': 'two' is not"):
        read_summary_csv(path)


def test_inconsistent_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,t_x,T\n1,1,2,3\n2,0,0,3\n3,2,9,4\n")
    with pytest.raises(InvalidSummaryError, match=r"column 't_x'.*exceed T.*\(line 4\)"):
        read_summary_csv(path)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "id,frequency,T\n1,1,3\n")
    with pytest.raises(InvalidSummaryError, match="no recency column"):
        read_summary_csv(path)


def test_ragged_line_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "id,frequency,recency,T\n1,1,2,3\n2,1,2\n")
    with pytest.raises(InvalidSummaryError, match="line 3: 3 fields where the header has 4"):
        read_summary_csv(path)


def test_reads_transactions_with_compact_and_iso_dates(tmp_path: Path) -> None:
    compact = read_transactions_csv(
        write(tmp_path, "cust,when,value\n00004,19970101,29.33\n00004,19970118,29.73\n"),
        customer_id_col="cust",
        datetime_col="when",
        monetary_col="value",
    )
    # Leading zeros make these ids text, kept as written.
    assert compact.customer_ids.tolist() == ["00004", "00004"]
    assert compact.dates.tolist() == list(np.array(["1997-01-01", "1997-01-18"], "datetime64[D]"))
    iso = read_transactions_csv(
        write(tmp_path, "customer_id,date\n12,2024-03-01T23:30:00+09:00\n7,2024-03-02\n"),
        customer_id_col="customer_id",
        datetime_col="date",
    )
    assert iso.customer_ids.tolist() == [12, 7]
    # The date is the one written; the time and offset are dropped.
    assert str(iso.dates[0]) == "2024-03-01"
    assert iso.monetary is None


def test_impossible_compact_date_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,date\n1,19970101\n1,19971301\n")
    with pytest.raises(InvalidSummaryError, match=r"line 3, column 'date': '19971301'"):
        read_transactions_csv(path, customer_id_col="customer_id", datetime_col="date")


def test_missing_transaction_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,date\n1,2020-01-01\n")
    with pytest.raises(InvalidSummaryError, match="no column 'amount'"):
        read_transactions_csv(
            path, customer_id_col="customer_id", datetime_col="date", monetary_col="amount"
        )


def test_written_summary_reads_back(tmp_path: Path) -> None:
    summary = read_summary_csv(cdnow_file("cdnow_customers_summary_with_transactions.csv"))
    out = io.StringIO()
    write_summary_csv(summary, out)
    again = read_summary_csv(write(tmp_path, out.getvalue()))
    np.testing.assert_array_equal(again.recency, summary.recency)
    np.testing.assert_array_equal(again.monetary, summary.monetary)
    assert out.getvalue().splitlines()[0] == "customer_id,frequency,recency,T,monetary"
