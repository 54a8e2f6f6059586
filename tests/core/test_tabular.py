from datetime import datetime

import pytest
from openpyxl import Workbook

from dangol.core.tabular import TableError, count_data_rows, detect_encoding, open_table


def test_cp949_csv_is_read_as_korean(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("고객번호,이름\nC1,김민수\nC2,이영희\n".encode("cp949"))
    table = open_table(path)
    assert table.encoding == "cp949"
    assert table.header == ["고객번호", "이름"]
    assert list(table.rows) == [(2, {"고객번호": "C1", "이름": "김민수"}),
                                (3, {"고객번호": "C2", "이름": "이영희"})]


def test_utf8_with_bom_and_late_hangul(tmp_path):
    path = tmp_path / "c.csv"
    body = "external_id,name\n" + "".join(f"C{i},x\n" for i in range(5000)) + "C9,한글\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert detect_encoding(path) == "utf-8-sig"
    table = open_table(path)
    assert table.header == ["external_id", "name"]
    assert list(table.rows)[-1] == (5002, {"external_id": "C9", "name": "한글"})


def test_blank_rows_are_skipped_but_numbering_follows_the_file(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n,\n3,4\n")
    assert [n for n, _ in open_table(path).rows] == [2, 4]
    assert count_data_rows(path) == 3


def test_xlsx_cells_become_text_except_dates(tmp_path):
    path = tmp_path / "c.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "joined_at", "price"])
    sheet.append([1001, datetime(2024, 3, 1, 9, 30), 39000.0])
    workbook.save(path)
    rows = list(open_table(path).rows)
    assert rows == [(2, {"external_id": "1001", "joined_at": datetime(2024, 3, 1, 9, 30),
                         "price": "39000"})]


def test_repeated_column_names_are_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name,name\n1,2\n")
    with pytest.raises(TableError, match="appears twice"):
        open_table(path)


def test_other_file_types_are_refused(tmp_path):
    path = tmp_path / "c.pdf"
    path.write_text("x")
    with pytest.raises(TableError, match=r"\.csv or \.xlsx"):
        open_table(path)
