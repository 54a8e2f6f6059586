"""Exporting customers, products and orders as CSV or XLSX, streamed in ID order."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.utils import timezone
from openpyxl import Workbook

from dangol.customers.models import Customer, OrderLine, Product

CUSTOMER_HEADER = ["external_id", "name", "email", "phone", "birthday", "gender", "region",
                   "language", "joined_at"]
PRODUCT_HEADER = ["external_id", "name", "category", "price", "currency", "active"]
ORDER_HEADER = ["order_id", "customer_id", "ordered_at", "currency", "status", "channel",
                "store", "order_total", "product_id", "quantity", "unit_price", "amount"]
CHUNK = 2000


def _customer_rows() -> Iterator[list[Any]]:
    yield CUSTOMER_HEADER
    for c in Customer.objects.order_by("pk").values_list(*CUSTOMER_HEADER).iterator(CHUNK):
        yield list(c)


def _product_rows() -> Iterator[list[Any]]:
    yield PRODUCT_HEADER
    for p in Product.objects.order_by("pk").values_list(*PRODUCT_HEADER).iterator(CHUNK):
        yield list(p)


def _order_rows() -> Iterator[list[Any]]:
    yield ORDER_HEADER
    lines = OrderLine.objects.order_by("order_id", "line_no").values_list(
        "order__external_id", "order__customer__external_id", "order__ordered_at",
        "order__currency", "order__status", "order__channel", "order__store",
        "order__total_amount", "product_external_id", "quantity", "unit_price", "amount")
    for line in lines.iterator(CHUNK):
        yield list(line)


ROWS = {"customers": _customer_rows, "products": _product_rows, "orders": _order_rows}


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def iter_csv(kind: str) -> Iterator[str]:
    """CSV text in pieces (UTF-8 with BOM so that Korean Excel opens it correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for number, row in enumerate(ROWS[kind](), start=1):
        writer.writerow([_text(v) for v in row])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(kind: str, target: BinaryIO | Path) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    for row in ROWS[kind]():
        sheet.append([timezone.localtime(v).replace(tzinfo=None) if isinstance(v, datetime) else v
                      for v in row])
    workbook.save(target)
