"""Reading CSV and XLSX files row by row, as Korean businesses export them.

CSV files may be UTF-8 (with or without BOM) or CP949, the encoding Korean
Excel writes; the encoding is found by trying UTF-8 over the whole file first,
since a file can be plain ASCII for thousands of rows before its first Hangul.
"""

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook


class TableError(ValueError):
    """A file that cannot be read as a table at all (its message says why)."""


@dataclass
class Table:
    """A table's header and an iterator of ``(row_number, {header: text})``.

    Row numbers are as a spreadsheet shows them: the header is row 1.
    """

    header: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str


def detect_encoding(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp949"
    return "utf-8-sig"


def count_data_rows(path: Path) -> int:
    """Rows below the header (a quick count used for progress bars)."""
    if path.suffix.lower() == ".xlsx":
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return max(0, (sheet.max_row or 1) - 1)
        finally:
            workbook.close()
    with path.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(0, lines - 1)


def open_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return _open_csv(path)
    if suffix == ".xlsx":
        return _open_xlsx(path)
    raise TableError(f"{path.name}: use a .csv or .xlsx file (not {suffix or 'no extension'}).")


def _clean_header(raw: list[Any]) -> list[str]:
    header = [str(h or "").strip().lstrip("\ufeff") for h in raw]
    while header and header[-1] == "":
        header.pop()
    if not any(header):
        raise TableError("The first row must name the columns; it is empty.")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise TableError(f"The column {name!r} appears twice in the first row.")
        seen.add(name)
    return header


def _open_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    handle = path.open("r", encoding=encoding, newline="")
    sample = handle.read(64 * 1024)
    handle.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    try:
        header = _clean_header(next(reader))
    except StopIteration:
        handle.close()
        raise TableError("The file is empty.") from None
    except TableError:
        handle.close()
        raise
    width = len(header)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for number, values in enumerate(reader, start=2):
                if not values or not any(values):
                    continue
                yield number, dict(zip(header, values[:width], strict=False))
        finally:
            handle.close()

    return Table(header, rows(), encoding.replace("-sig", ""))


def _cell_text(value: Any) -> Any:
    # Keep dates as dates; make every other cell the text a CSV would hold, so
    # the same validation applies to both formats (IDs like 1001 stay "1001").
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _open_xlsx(path: Path) -> Table:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise TableError(f"{path.name} is not a readable .xlsx file ({error}).") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = _clean_header(list(next(iterator)))
    except StopIteration:
        workbook.close()
        raise TableError("The first sheet is empty.") from None
    width = len(header)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for number, values in enumerate(iterator, start=2):
                cells = [_cell_text(v) for v in values[:width]]
                if not any(c != "" for c in cells):
                    continue
                yield number, dict(zip(header, cells, strict=False))
        finally:
            workbook.close()

    return Table(header, rows(), "xlsx")
