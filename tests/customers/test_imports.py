from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from dangol.accounts.actors import SYSTEM
from dangol.customers.imports import import_file
from dangol.customers.models import Consent, Customer, Order, OrderLine

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_korean_excel_csv_with_bad_rows(tmp_path):
    path = write(tmp_path, "고객.csv",
                 "고객번호,이름,휴대폰,이메일,생년월일,성별,SMS수신동의,등급\n"
                 "C1,김민수,010-1234-5678,minsu@example.com,1990.05.17,남,Y,VIP\n"
                 "C2,이영희,02-123,young@example.com,19880101,여,N,\n"
                 "C3,박지훈,010 2222 3333,bad-email,1985-02-30,남성,동의,GOLD\n"
                 ",무명,,,,,,\n"
                 "C5,최수진,+82 10 9999 8888,,,F,,\n", encoding="cp949")
    summary = import_file("customers", path, actor=SYSTEM)
    assert (summary.created, summary.rejected_rows) == (2, 3)
    assert summary.encoding == "cp949"
    problems = {(r.row, r.column) for r in summary.rejects}
    assert problems == {(3, "휴대폰"), (4, "이메일"), (4, "생년월일"), (5, "고객번호")}
    minsu = Customer.objects.get(external_id="C1")
    assert (minsu.phone, minsu.gender, str(minsu.birthday)) == ("+821012345678", "male",
                                                                "1990-05-17")
    assert minsu.attributes == {"등급": "VIP"}
    assert Consent.objects.get(customer=minsu).is_granted


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(tmp_path, "c.csv", "external_id,name\nC1,A\nC2,B\n")
    import_file("customers", path, actor=SYSTEM)
    updated_at = dict(Customer.objects.values_list("external_id", "updated_at"))
    summary = import_file("customers", path, actor=SYSTEM)
    assert (summary.created, summary.updated) == (0, 2)
    assert Customer.objects.count() == 2
    assert set(updated_at) == {"C1", "C2"}


def test_missing_required_column_imports_nothing(tmp_path):
    path = write(tmp_path, "c.csv", "name,email\nA,a@example.com\n")
    with pytest.raises(ValueError, match="external_id"):
        import_file("customers", path, actor=SYSTEM)
    assert not Customer.objects.exists()


def test_orders_group_lines_and_name_bad_line_rows(tmp_path):
    write(tmp_path, "c.csv", "external_id\nC1\n")
    import_file("customers", tmp_path / "c.csv", actor=SYSTEM)
    path = write(tmp_path, "o.csv",
                 "주문번호,고객번호,주문일시,상품코드,수량,단가\n"
                 "O1,C1,2026-01-05 10:00,P1,1,10000\n"
                 "O1,C1,2026-01-05 10:00,P2,2,5000\n"
                 "O2,C1,2026-01-06 10:00,P1,1,10000\n"
                 "O2,C1,2026-01-06 10:00,P2,x,5000\n"
                 "O3,C9,2026-01-07 10:00,P1,1,10000\n")
    summary = import_file("orders", path, actor=SYSTEM)
    assert summary.created == 1
    assert {(r.row, r.column) for r in summary.rejects} == {(5, "수량"), (6, "고객번호")}
    assert summary.rejected_rows == 3  # both lines of O2 and the line of O3
    order = Order.objects.get()
    assert order.total_amount == 20000
    assert OrderLine.objects.count() == 2


def test_xlsx_products(tmp_path):
    path = tmp_path / "p.xlsx"
    workbook = Workbook()
    workbook.active.append(["상품코드", "상품명", "가격", "카테고리"])
    workbook.active.append([101, "티셔츠", 19900, "의류"])
    workbook.active.append([102, "", 5000, "의류"])
    workbook.save(path)
    summary = import_file("products", path, actor=SYSTEM)
    assert summary.created == 1
    assert [(r.row, r.column) for r in summary.rejects] == [(3, "상품명")]


def test_command_prints_summary_and_writes_rejects(tmp_path):
    path = write(tmp_path, "c.csv", "external_id,email\nC1,a@example.com\nC2,nope\n")
    out = StringIO()
    call_command("import", "customers", str(path), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "1 created" in text and "1 rows refused" in text
    assert "row 3, column email" in text
    rejects = (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert rejects.splitlines()[1].startswith("3,email,")


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "customers", str(tmp_path / "nope.csv"))


def test_export_round_trip(tmp_path):
    write(tmp_path, "c.csv", "external_id,name,phone\nC1,김민수,01012345678\n")
    import_file("customers", tmp_path / "c.csv", actor=SYSTEM)
    out = tmp_path / "out.csv"
    call_command("export", "customers", "-o", str(out), stdout=StringIO())
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[1].startswith("C1,김민수,,+821012345678")
    xlsx = tmp_path / "out.xlsx"
    call_command("export", "orders", "-o", str(xlsx), stdout=StringIO())
    assert xlsx.stat().st_size > 0
