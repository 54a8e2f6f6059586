"""Writes for customers, consent, products, orders and imports."""

from dangol.customers.services.customers import (
    BulkResult,
    UpsertResult,
    bulk_upsert_customers,
    bulk_upsert_products,
    delete_customer,
    delete_product,
    upsert_customer,
    upsert_product,
)
from dangol.customers.services.orders import bulk_upsert_orders, delete_order, upsert_order

__all__ = [
    "BulkResult",
    "UpsertResult",
    "bulk_upsert_customers",
    "bulk_upsert_orders",
    "bulk_upsert_products",
    "delete_customer",
    "delete_order",
    "delete_product",
    "upsert_customer",
    "upsert_order",
    "upsert_product",
]
