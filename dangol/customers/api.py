"""REST endpoints for customers, products and orders (thin: parse, authorise, call)."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import DomainError
from dangol.customers import selectors, services
from dangol.customers.models import Order
from dangol.customers.schemas import (
    BulkOut,
    CustomerDetailOut,
    CustomerIn,
    CustomerOut,
    OrderIn,
    OrderOut,
    ProductIn,
    ProductOut,
)

customers_router = Router(tags=["customers"])
products_router = Router(tags=["products"])
orders_router = Router(tags=["orders"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class BulkIn(BaseModel):
    """Up to 5,000 items, each with the fields of the single-item body."""

    items: list[dict[str, Any]]


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


def _check_view(request: HttpRequest) -> None:
    require(actor_from_request(request), "customers.view")


def _check_bulk_size(items: list[dict[str, Any]]) -> None:
    if len(items) > settings.API_BULK_MAX_ITEMS:
        raise DomainError(f"At most {settings.API_BULK_MAX_ITEMS} items per call.",
                          code="too_many_items", status=413)


def _bulk_out(result: services.BulkResult) -> dict[str, Any]:
    return {"created": result.created, "updated": result.updated,
            "rejected": [r.as_dict() for r in result.rejected]}


# --- customers ---------------------------------------------------------------------


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class CustomerUpsertOut(Schema):
    customer: CustomerDetailOut
    created: bool
    changed_fields: list[str]


def _customer_detail(customer: Any) -> dict[str, Any]:
    out = CustomerOut.from_orm(customer).model_dump()
    out["consents"] = [
        {"channel": c.channel, "purpose": c.purpose, "granted": c.is_granted,
         "night": c.night_allowed, "granted_at": c.granted_at, "withdrawn_at": c.withdrawn_at,
         "source": c.source}
        for c in customer.consents.all()
    ]
    return out


@customers_router.post("", response={200: CustomerUpsertOut, 201: CustomerUpsertOut,
                                     422: ErrorOut})
def upsert_customer(request: HttpRequest, payload: CustomerIn) -> Status[dict[str, Any]]:
    """Create a customer, or update the given fields of the one with this external_id."""
    result = services.upsert_customer(actor=actor_from_request(request), data=payload)
    customer = selectors.get_customer(external_id=result.obj.external_id)
    body = {"customer": _customer_detail(customer), "created": result.created,
            "changed_fields": result.changed_fields}
    return Status(201 if result.created else 200, body)


@customers_router.post("/bulk", response={200: BulkOut, 413: ErrorOut})
def bulk_upsert_customers(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Upsert many customers. Bad items are listed by index with reasons; the rest are saved."""
    _check_bulk_size(payload.items)
    return _bulk_out(services.bulk_upsert_customers(actor=actor_from_request(request),
                                                    rows=payload.items))


@customers_router.get("", response=CustomerPage)
def list_customers(
    request: HttpRequest,
    page: Query[PageParams],
    q: str = "",
    region: str = "",
    gender: str | None = None,
    language: str = "",
    joined_after: datetime | None = None,
    joined_before: datetime | None = None,
    updated_since: datetime | None = None,
) -> Any:
    """Customers in ID order, a page at a time (pass next_cursor back for the next page)."""
    _check_view(request)
    customers = selectors.search_customers(
        q=q, region=region, gender=gender, language=language, joined_after=joined_after,
        joined_before=joined_before, updated_since=updated_since)
    return selectors.paginate(customers, cursor=page.cursor, limit=page.limit)


@customers_router.get("/{external_id}", response={200: CustomerDetailOut, 404: ErrorOut})
def get_customer(request: HttpRequest, external_id: str) -> dict[str, Any]:
    _check_view(request)
    return _customer_detail(selectors.get_customer(external_id=external_id))


@customers_router.delete("/{external_id}", response={204: None, 404: ErrorOut})
def delete_customer(request: HttpRequest, external_id: str) -> Status[None]:
    """Delete a customer together with their orders and consent records."""
    services.delete_customer(actor=actor_from_request(request), external_id=external_id)
    return Status(204, None)


class RecommendationOut(Schema):
    product_id: str = Field(description="the product's external ID")
    name: str
    category: str
    score: float = Field(description="0 for products from the popular list")
    reason: str = Field(description="similar (from the customer's purchases) or popular")
    because_of: str = Field(description="the purchase that pointed to it most, if similar")


class CustomerRecommendationsOut(Schema):
    customer_id: str
    computed_at: datetime | None = Field(
        description="when the product similarities were computed; null before the first run")
    items: list[RecommendationOut]


@customers_router.get("/{external_id}/recommendations",
                      response={200: CustomerRecommendationsOut, 404: ErrorOut})
def customer_recommendations(request: HttpRequest, external_id: str,
                             limit: int = Query(10, ge=1, le=50)) -> dict[str, Any]:
    """Products recommended for the customer from their purchase history, best first
    (products they bought and inactive products left out; best-sellers fill the rest)."""
    _check_view(request)
    customer = selectors.get_customer(external_id=external_id)
    build = selectors.find_recommendation_build()
    items = selectors.list_recommendations(customer=customer, limit=limit)
    return {"customer_id": customer.external_id,
            "computed_at": build.finished_at if build is not None else None,
            "items": [{"product_id": r.external_id, "name": r.name, "category": r.category,
                       "score": r.score, "reason": r.reason, "because_of": r.because_of}
                      for r in items]}


# --- products ---------------------------------------------------------------------------


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


class ProductUpsertOut(Schema):
    product: ProductOut
    created: bool
    changed_fields: list[str]


@products_router.post("", response={200: ProductUpsertOut, 201: ProductUpsertOut,
                                    422: ErrorOut})
def upsert_product(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    result = services.upsert_product(actor=actor_from_request(request), data=payload)
    body = {"product": result.obj, "created": result.created,
            "changed_fields": result.changed_fields}
    return Status(201 if result.created else 200, body)


@products_router.post("/bulk", response={200: BulkOut, 413: ErrorOut})
def bulk_upsert_products(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    _check_bulk_size(payload.items)
    return _bulk_out(services.bulk_upsert_products(actor=actor_from_request(request),
                                                   rows=payload.items))


@products_router.get("", response=ProductPage)
def list_products(request: HttpRequest, page: Query[PageParams], q: str = "",
                  category: str = "", active: bool | None = None) -> Any:
    _check_view(request)
    products = selectors.list_products(q=q, category=category, active=active)
    return selectors.paginate(products, cursor=page.cursor, limit=page.limit)


@products_router.get("/{external_id}", response={200: ProductOut, 404: ErrorOut})
def get_product(request: HttpRequest, external_id: str) -> Any:
    _check_view(request)
    return selectors.get_product(external_id=external_id)


@products_router.delete("/{external_id}", response={204: None, 404: ErrorOut})
def delete_product(request: HttpRequest, external_id: str) -> Status[None]:
    services.delete_product(actor=actor_from_request(request), external_id=external_id)
    return Status(204, None)


# --- orders -----------------------------------------------------------------------------------


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderUpsertOut(Schema):
    order: OrderOut
    created: bool


def _order_out(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk, "external_id": order.external_id,
        "customer_id": order.customer.external_id, "ordered_at": order.ordered_at,
        "currency": order.currency, "status": order.status, "channel": order.channel,
        "store": order.store, "total_amount": order.total_amount,
        "lines": [
            {"line_no": ln.line_no, "product_id": ln.product_external_id,
             "quantity": ln.quantity, "unit_price": ln.unit_price, "amount": ln.amount}
            for ln in order.lines.all()
        ],
    }


@orders_router.post("", response={200: OrderUpsertOut, 201: OrderUpsertOut, 422: ErrorOut})
def upsert_order(request: HttpRequest, payload: OrderIn) -> Status[dict[str, Any]]:
    """Create an order, or replace the one with this external_id (lines included)."""
    order, created = services.upsert_order(actor=actor_from_request(request), data=payload)
    order = selectors.get_order(external_id=order.external_id)
    return Status(201 if created else 200, {"order": _order_out(order), "created": created})


@orders_router.post("/bulk", response={200: BulkOut, 413: ErrorOut})
def bulk_upsert_orders(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    _check_bulk_size(payload.items)
    return _bulk_out(services.bulk_upsert_orders(actor=actor_from_request(request),
                                                 rows=payload.items))


@orders_router.get("", response=OrderPage)
def list_orders(
    request: HttpRequest,
    page: Query[PageParams],
    customer_id: str = "",
    status: str = "",
    channel: str = "",
    store: str = "",
    ordered_after: datetime | None = None,
    ordered_before: datetime | None = None,
) -> dict[str, Any]:
    _check_view(request)
    orders = selectors.list_orders(customer_id=customer_id, status=status, channel=channel,
                                   store=store, ordered_after=ordered_after,
                                   ordered_before=ordered_before)
    result = selectors.paginate(orders, cursor=page.cursor, limit=page.limit)
    return {"items": [_order_out(o) for o in result.items], "next_cursor": result.next_cursor}


@orders_router.get("/{external_id}", response={200: OrderOut, 404: ErrorOut})
def get_order(request: HttpRequest, external_id: str) -> dict[str, Any]:
    _check_view(request)
    return _order_out(selectors.get_order(external_id=external_id))


@orders_router.delete("/{external_id}", response={204: None, 404: ErrorOut})
def delete_order(request: HttpRequest, external_id: str) -> Status[None]:
    services.delete_order(actor=actor_from_request(request), external_id=external_id)
    return Status(204, None)
