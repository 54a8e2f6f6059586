"""Writes for orders and their lines."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, record_audit_many, require
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.core.validation import RowProblem, validate_rows
from dangol.customers.models import Customer, Order, OrderLine, Product
from dangol.customers.schemas import OrderIn
from dangol.customers.services.customers import BulkResult, without_repeated_ids
from dangol.customers.signals import orders_written

ORDER_FIELDS = ("customer_id", "ordered_at", "currency", "status", "channel", "store",
                "total_amount")


def upsert_order(*, actor: Actor, data: OrderIn) -> tuple[Order, bool]:
    """Create or replace one order (and its lines) by external id.

    Raises ValidationFailed when the customer is unknown, PermissionDenied.
    """
    result = bulk_upsert_orders(actor=actor, rows=[data.model_dump()], audit_each=True)
    if result.rejected:
        raise ValidationFailed(result.rejected[0].problems)
    order = Order.objects.get(external_id=data.external_id)
    return order, result.created == 1


def bulk_upsert_orders(
    *, actor: Actor, rows: Sequence[Any], audit_each: bool = True
) -> BulkResult:
    """Validate and upsert many orders with their lines in one transaction.

    An order whose customer is unknown is refused (naming ``customer_id``); a
    product ID that is not in the catalogue is kept on the line as text. An
    existing order's lines are replaced by the given ones.
    """
    require(actor, "customers.change")
    valid, rejected = validate_rows(OrderIn, rows)
    valid, duplicates = without_repeated_ids(valid)
    rejected += duplicates
    with transaction.atomic():
        customer_pks = dict(
            Customer.objects.filter(external_id__in={d.customer_id for _, d in valid})
            .values_list("external_id", "pk")
        )
        known = []
        for index, data in valid:
            if data.customer_id in customer_pks:
                known.append((index, data))
            else:
                rejected.append(RowProblem(index, [FieldProblem(
                    "customer_id", _("no customer with ID %(id)s") % {"id": data.customer_id})]))
        result = BulkResult(rejected=sorted(rejected, key=lambda r: r.index))
        if known:
            result.created, result.updated = write_orders(
                [data for _, data in known], customer_pks, actor=actor, audit_each=audit_each
            )
    return result


def write_orders(
    orders: Sequence[OrderIn], customer_pks: dict[str, int], *, actor: Actor,
    audit_each: bool,
) -> tuple[int, int]:
    """Insert or replace already-validated orders; returns (created, updated).

    Call inside a transaction. ``customer_pks`` maps every order's customer_id.
    """
    ids = [o.external_id for o in orders]
    existing = dict(Order.objects.filter(external_id__in=ids).values_list("external_id", "pk"))
    product_pks = dict(
        Product.objects.filter(external_id__in={ln.product_id for o in orders for ln in o.lines
                                                if ln.product_id})
        .values_list("external_id", "pk")
    )
    now = timezone.now()
    _upsert_order_rows(orders, customer_pks, now)
    order_pks = existing | dict(
        Order.objects.filter(external_id__in=[i for i in ids if i not in existing])
        .values_list("external_id", "pk")
    )
    if existing:
        OrderLine.objects.filter(order_id__in=list(existing.values())).delete()
    _insert_line_rows(orders, order_pks, product_pks)
    if audit_each:
        record_audit_many(actor=actor, action="upsert",
                          objects=[Order(pk=pk) for pk in order_pks.values()],
                          fields=[*ORDER_FIELDS, "lines"])
    orders_written.send(sender=Order, order_pks=list(order_pks.values()))
    created = len(ids) - len(existing)
    return created, len(existing)


def delete_order(*, actor: Actor, external_id: str) -> None:
    require(actor, "customers.delete")
    with transaction.atomic():
        order = Order.objects.filter(external_id=external_id).first()
        if order is None:
            raise NotFound(_("No order with ID %(id)s.") % {"id": external_id})
        pk = order.pk
        order.delete()
        record_audit(actor=actor, action="delete", object_type_label="customers.order",
                     object_id=str(pk))


# Orders arrive by the million from imports, so they are written with one
# executemany per table rather than through model instances: the rows are
# already validated, and building a model object per row costs more than the
# database insert itself.


def _upsert_order_rows(orders: Sequence[OrderIn], customer_pks: dict[str, int],
                       now: datetime) -> None:
    ops = connection.ops
    meta = Order._meta
    columns = ["external_id", "customer_id", "ordered_at", "currency", "status", "channel",
               "store", "total_amount", "created_at", "updated_at"]
    updated = [c for c in columns if c not in {"external_id", "created_at"}]
    # Only quoted model metadata goes into the SQL text; values are parameters.
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} "  # noqa: S608
        f"({', '.join(ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({ops.quote_name('external_id')}) DO UPDATE SET "
        + ", ".join(f"{ops.quote_name(c)} = excluded.{ops.quote_name(c)}" for c in updated)
    )
    stamp = ops.adapt_datetimefield_value(now)
    rows = [
        (o.external_id, customer_pks[o.customer_id],
         ops.adapt_datetimefield_value(o.ordered_at), o.currency, o.status.value, o.channel,
         o.store, ops.adapt_decimalfield_value(o.total_amount, 14, 2), stamp, stamp)
        for o in orders
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _insert_line_rows(orders: Sequence[OrderIn], order_pks: dict[str, int],
                      product_pks: dict[str, int]) -> None:
    ops = connection.ops
    columns = ["order_id", "line_no", "product_id", "product_external_id", "quantity",
               "unit_price", "amount"]
    sql = (
        f"INSERT INTO {ops.quote_name(OrderLine._meta.db_table)} "  # noqa: S608
        f"({', '.join(ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = [
        (order_pks[o.external_id], no, product_pks.get(ln.product_id), ln.product_id,
         ln.quantity, ops.adapt_decimalfield_value(ln.unit_price, 14, 2),
         ops.adapt_decimalfield_value(ln.amount, 14, 2))
        for o in orders
        for no, ln in enumerate(o.lines, start=1)
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
