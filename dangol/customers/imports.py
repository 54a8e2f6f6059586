"""Importing customers, products and orders from CSV or XLSX files.

A file is read in batches; each batch is validated by the same input models as
the API and written in one transaction. A bad row is refused with its row
number, column and reason (collected in a rejects file) and never half-written;
the good rows of the file are kept. Re-importing a file changes nothing more.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.core.tabular import Table, TableError, count_data_rows, open_table
from dangol.customers.models import ImportJob
from dangol.customers.services.customers import bulk_upsert_customers, bulk_upsert_products
from dangol.customers.services.orders import bulk_upsert_orders

# Column names each import understands: the field, then the other headers
# (Korean exports and common English variants) that mean the same.
CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("customer_id", "id", "고객번호", "고객ID", "회원번호", "회원ID"),
    "name": ("이름", "고객명", "회원명", "성명"),
    "email": ("e-mail", "이메일", "메일"),
    "phone": ("mobile", "휴대폰", "휴대전화", "전화번호", "연락처"),
    "birthday": ("birth_date", "생년월일", "생일"),
    "gender": ("sex", "성별"),
    "region": ("지역", "시도"),
    "language": ("lang", "언어"),
    "joined_at": ("joined", "signup_date", "가입일", "가입일시"),
    "consent_email_ad": ("이메일수신동의", "이메일광고동의"),
    "consent_sms_ad": ("sms수신동의", "SMS수신동의", "문자수신동의"),
    "consent_kakao_ad": ("카카오수신동의", "카카오톡수신동의"),
    "consent_night": ("야간수신동의",),
}
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("product_id", "id", "sku", "상품코드", "상품번호", "상품ID"),
    "name": ("상품명", "이름"),
    "category": ("카테고리", "분류"),
    "price": ("가격", "판매가"),
    "currency": ("통화",),
    "active": ("판매중", "활성"),
}
ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("order_id", "주문번호", "주문ID"),
    "customer_id": ("고객번호", "고객ID", "회원번호", "회원ID"),
    "ordered_at": ("order_date", "주문일", "주문일시"),
    "currency": ("통화",),
    "status": ("상태", "주문상태"),
    "channel": ("채널", "판매채널"),
    "store": ("매장", "지점"),
    "total_amount": ("order_total", "주문금액", "결제금액"),
    "product_id": ("sku", "상품코드", "상품번호", "상품ID"),
    "quantity": ("qty", "수량"),
    "unit_price": ("price", "단가", "판매가"),
    "amount": ("line_amount", "금액", "상품금액"),
}
REQUIRED = {
    "customers": ("external_id",),
    "products": ("external_id", "name"),
    "orders": ("external_id", "customer_id", "ordered_at", "unit_price"),
}
ORDER_LEVEL = ("external_id", "customer_id", "ordered_at", "currency", "status", "channel",
               "store", "total_amount")
LINE_LEVEL = ("product_id", "quantity", "unit_price", "amount")
CONSENT_COLUMNS = {"consent_email_ad": "email", "consent_sms_ad": "sms",
                   "consent_kakao_ad": "kakao"}
_YES_NO = {"동의": "true", "미동의": "false", "거부": "false", "수신": "true", "수신거부": "false"}

KINDS = ("customers", "products", "orders")
BATCH_ITEMS = 2000
MAX_REJECTS_SHOWN = 500


@dataclass
class Reject:
    row: int
    column: str
    message: str


@dataclass
class ImportSummary:
    kind: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected_rows: int = 0
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""


@dataclass
class _Item:
    data: dict[str, Any]
    rows: list[int]  # the file rows this item came from (an order has one per line)


def _columns_for(kind: str) -> dict[str, tuple[str, ...]]:
    return {"customers": CUSTOMER_COLUMNS, "products": PRODUCT_COLUMNS,
            "orders": ORDER_COLUMNS}[kind]


def map_header(kind: str, header: list[str]) -> tuple[dict[str, str], list[str]]:
    """Map file columns to fields; returns ({column: field}, unknown columns).

    Raises TableError naming a required column that is missing.
    """
    lookup = {}
    for name, aliases in _columns_for(kind).items():
        for alias in (name, *aliases):
            lookup[alias.casefold().replace(" ", "")] = name
    mapping: dict[str, str] = {}
    unknown = []
    for column in header:
        name = lookup.get(column.casefold().replace(" ", ""))
        if name and name not in mapping.values():
            mapping[column] = name
        elif column:
            unknown.append(column)
    missing = [f for f in REQUIRED[kind] if f not in mapping.values()]
    if missing:
        raise TableError(_("Missing column: %(columns)s. The first row must name it.")
                         % {"columns": ", ".join(missing)})
    return mapping, unknown


def _customer_items(rows: Iterator[tuple[int, dict[str, Any]]], mapping: dict[str, str],
                    unknown: list[str]) -> Iterator[_Item]:
    for number, raw in rows:
        data: dict[str, Any] = {}
        consents = []
        night = None
        for column, name in mapping.items():
            value = raw.get(column, "")
            if name in CONSENT_COLUMNS:
                if value != "":
                    consents.append({"channel": CONSENT_COLUMNS[name], "purpose": "ad",
                                     "granted": _YES_NO.get(value.strip(), value),
                                     "source": "import"})
            elif name == "consent_night":
                night = _YES_NO.get(value.strip(), value) if value != "" else None
            else:
                data[name] = value
        if night is not None:
            for consent in consents:
                consent["night"] = night
        if consents:
            data["consents"] = consents
        attributes = {c: raw[c] for c in unknown if raw.get(c, "") != ""}
        if attributes:
            data["attributes"] = attributes
        yield _Item(data, [number])


def _product_items(rows: Iterator[tuple[int, dict[str, Any]]], mapping: dict[str, str],
                   unknown: list[str]) -> Iterator[_Item]:
    for number, raw in rows:
        yield _Item({name: raw.get(column, "") for column, name in mapping.items()}, [number])


def _order_items(rows: Iterator[tuple[int, dict[str, Any]]], mapping: dict[str, str],
                 unknown: list[str]) -> Iterator[_Item]:
    """Group consecutive line rows of the same order into one order item."""
    order_cols = [(c, n) for c, n in mapping.items() if n in ORDER_LEVEL]
    line_cols = [(c, n) for c, n in mapping.items() if n in LINE_LEVEL]
    id_column = next(c for c, n in order_cols if n == "external_id")
    current: _Item | None = None
    for number, raw in rows:
        order_id = raw.get(id_column, "").strip()
        if current is None or order_id != current.data["external_id"] or not order_id:
            if current is not None:
                yield current
            data = {name: raw.get(column, "") for column, name in order_cols}
            data["external_id"] = order_id
            data["lines"] = []
            current = _Item(data, [])
        current.data["lines"].append({name: raw.get(column, "") for column, name in line_cols})
        current.rows.append(number)
    if current is not None:
        yield current


_ITEM_BUILDERS: dict[str, Callable[..., Iterator[_Item]]] = {
    "customers": _customer_items, "products": _product_items, "orders": _order_items,
}
_BULK = {
    "customers": bulk_upsert_customers,
    "products": bulk_upsert_products,
    "orders": bulk_upsert_orders,
}


def _locate(kind: str, item: _Item, field_path: str,
            columns: dict[str, str]) -> tuple[int, str]:
    """The file row and column that a field error of ``item`` points at."""
    parts = field_path.split(".")
    row = item.rows[0]
    name = parts[0]
    if kind == "orders" and name == "lines" and len(parts) >= 2 and parts[1].isdigit():
        row = item.rows[min(int(parts[1]), len(item.rows) - 1)]
        name = parts[2] if len(parts) > 2 else "lines"
    elif kind == "customers" and name == "consents" and len(parts) >= 2:
        consents = item.data.get("consents", [])
        index = int(parts[1]) if parts[1].isdigit() else 0
        if index < len(consents):
            name = f"consent_{consents[index]['channel']}_ad"
            if len(parts) > 2 and parts[2] == "night":
                name = "consent_night"
    return row, columns.get(name, name)


def import_table(
    kind: str, table: Table, *, actor: Actor,
    on_progress: Callable[[ImportSummary], None] | None = None,
    batch_items: int = BATCH_ITEMS,
) -> ImportSummary:
    """Import every row of ``table`` as ``kind``; returns what happened.

    Raises TableError (nothing written) when the header lacks a required column.
    """
    if kind not in KINDS:
        raise TableError(_("Unknown import kind %(kind)s.") % {"kind": kind})
    mapping, unknown = map_header(kind, table.header)
    columns = {name: column for column, name in mapping.items()}
    summary = ImportSummary(kind, encoding=table.encoding,
                            ignored_columns=[] if kind == "customers" else unknown)
    items = _ITEM_BUILDERS[kind](table.rows, mapping, unknown)
    batch: list[_Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_items:
            _import_batch(kind, batch, actor, columns, summary)
            batch = []
            if on_progress:
                on_progress(summary)
    if batch:
        _import_batch(kind, batch, actor, columns, summary)
    if on_progress:
        on_progress(summary)
    return summary


def _import_batch(kind: str, batch: list[_Item], actor: Actor, columns: dict[str, str],
                  summary: ImportSummary) -> None:
    result = _BULK[kind](actor=actor, rows=[i.data for i in batch], audit_each=False)
    summary.rows_read += sum(len(i.rows) for i in batch)
    summary.created += result.created
    summary.updated += result.updated
    for problem in result.rejected:
        item = batch[problem.index]
        summary.rejected_rows += len(item.rows)
        for field_problem in problem.problems:
            row, column = _locate(kind, item, field_problem.field, columns)
            summary.rejects.append(Reject(row, column, field_problem.message))


def import_file(kind: str, path: Path, *, actor: Actor,
                on_progress: Callable[[ImportSummary], None] | None = None) -> ImportSummary:
    return import_table(kind, open_table(path), actor=actor, on_progress=on_progress)


def write_rejects(summary: ImportSummary, path: Path) -> None:
    """Write one line per problem: row, column, message (UTF-8 with BOM, for Excel)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "message"])
        writer.writerows([r.row, r.column, r.message] for r in summary.rejects)


# --- background jobs ----------------------------------------------------------------


def run_import(*, job_id: int) -> ImportJob:
    """Run a queued import to the end, recording progress on the job as it goes.

    Safe to run twice: a finished job is left alone, and re-importing rows only
    upserts them again.
    """
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
        return job
    path = Path(job.file_path)
    job.status = ImportJob.Status.RUNNING
    job.rows_total = count_data_rows(path)
    job.save(update_fields=["status", "rows_total", "updated_at"])
    actor = Actor(user=job.created_by, label="import")

    def progress(summary: ImportSummary) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=summary.rows_read,
                                                   updated_at=timezone.now())

    try:
        summary = import_file(job.kind, path, actor=actor, on_progress=progress)
    except TableError as error:
        job.status, job.error = ImportJob.Status.FAILED, str(error)
    else:
        job.status = ImportJob.Status.DONE
        job.rows_done = summary.rows_read
        job.created_count, job.updated_count = summary.created, summary.updated
        job.rejected_count = summary.rejected_rows
        job.rejects = [vars(r) for r in summary.rejects[:MAX_REJECTS_SHOWN]]
        if summary.rejects:
            write_rejects(summary, rejects_path(job))
    job.finished_at = timezone.now()
    job.save()
    return job


def rejects_path(job: ImportJob) -> Path:
    return Path(job.file_path).with_suffix(".rejects.csv")
