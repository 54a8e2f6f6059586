"""A segment's members as CSV or XLSX, with the same columns as the customer export."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from dangol.customers.exports import CUSTOMER_HEADER
from dangol.customers.models import Customer

CHUNK = 2000


def _rows(customers: QuerySet[Customer]) -> Iterator[list[Any]]:
    yield CUSTOMER_HEADER
    for row in customers.order_by("pk").values_list(*CUSTOMER_HEADER).iterator(CHUNK):
        yield list(row)


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def iter_csv(customers: QuerySet[Customer]) -> Iterator[str]:
    """CSV text in pieces (UTF-8 with BOM so that Korean Excel opens it correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for number, row in enumerate(_rows(customers), start=1):
        writer.writerow([_text(v) for v in row])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(customers: QuerySet[Customer], target: BinaryIO) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    for row in _rows(customers):
        sheet.append([timezone.localtime(v).replace(tzinfo=None) if isinstance(v, datetime) else v
                      for v in row])
    workbook.save(target)
