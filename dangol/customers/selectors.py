"""Reads for customers, products and orders."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import phonenumbers
from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from dangol.core.errors import DomainError, NotFound
from dangol.customers.models import (
    Consent,
    Customer,
    ImportJob,
    Order,
    Product,
    RecommendationBuild,
)
from dangol.customers.recommendations import (
    Recommendation,
    find_current_build,
    recommend_for_customer,
    recommend_for_customers,
)

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError("The cursor is not valid; start again without it.",
                          code="invalid_cursor") from None


def paginate(queryset: QuerySet[Any], *, cursor: str | None, limit: int,
             newest_first: bool = False) -> Page[Any]:
    """Keyset pagination by primary key: stable under inserts, fast at any depth.

    No COUNT(*) is run, so a page costs the same at ten rows or ten million.
    """
    if cursor:
        last = decode_cursor(cursor)
        queryset = queryset.filter(pk__lt=last) if newest_first else queryset.filter(pk__gt=last)
    items = list(queryset.order_by("-pk" if newest_first else "pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items, encode_cursor(items[-1].pk) if more and items else None)


def _phone_query(text: str) -> str | None:
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if len(digits.lstrip("+")) < 7:
        return None
    try:
        number = phonenumbers.parse(digits, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_customers(
    *, q: str = "", region: str = "", gender: str | None = None, language: str = "",
    joined_after: datetime | None = None, joined_before: datetime | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Customer]:
    """Customers matching the filters. ``q`` matches ID, name, e-mail or phone."""
    customers = Customer.objects.all()
    q = q.strip()
    if q:
        match = (Q(external_id=q) | Q(name__icontains=q) | Q(email__istartswith=q))
        phone = _phone_query(q)
        if phone:
            match |= Q(phone=phone)
        customers = customers.filter(match)
    if region:
        customers = customers.filter(region=region)
    if gender is not None:
        customers = customers.filter(gender=gender)
    if language:
        customers = customers.filter(language=language)
    if joined_after:
        customers = customers.filter(joined_at__gte=joined_after)
    if joined_before:
        customers = customers.filter(joined_at__lt=joined_before)
    if updated_since:
        customers = customers.filter(updated_at__gte=updated_since)
    return customers


def get_customer(*, external_id: str) -> Customer:
    customer = Customer.objects.prefetch_related("consents").filter(
        external_id=external_id).first()
    if customer is None:
        raise NotFound(f"No customer with ID {external_id}.")
    return customer


def find_customer_by_pk(pk: int) -> Customer | None:
    return Customer.objects.prefetch_related("consents").filter(pk=pk).first()


def list_products(*, q: str = "", category: str = "", active: bool | None = None
                  ) -> QuerySet[Product]:
    products = Product.objects.all()
    if q:
        products = products.filter(Q(external_id=q) | Q(name__icontains=q))
    if category:
        products = products.filter(category=category)
    if active is not None:
        products = products.filter(active=active)
    return products


def get_product(*, external_id: str) -> Product:
    product = Product.objects.filter(external_id=external_id).first()
    if product is None:
        raise NotFound(f"No product with ID {external_id}.")
    return product


def list_orders(
    *, customer_id: str = "", status: str = "", channel: str = "", store: str = "",
    ordered_after: datetime | None = None, ordered_before: datetime | None = None,
) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer").prefetch_related("lines")
    if customer_id:
        orders = orders.filter(customer__external_id=customer_id)
    if status:
        orders = orders.filter(status=status)
    if channel:
        orders = orders.filter(channel=channel)
    if store:
        orders = orders.filter(store=store)
    if ordered_after:
        orders = orders.filter(ordered_at__gte=ordered_after)
    if ordered_before:
        orders = orders.filter(ordered_at__lt=ordered_before)
    return orders


def get_order(*, external_id: str) -> Order:
    order = list_orders().filter(external_id=external_id).first()
    if order is None:
        raise NotFound(f"No order with ID {external_id}.")
    return order


@dataclass(frozen=True)
class CustomerSummary:
    order_count: int
    total_spent: Any
    last_order_at: datetime | None


def customer_summary(customer: Customer) -> CustomerSummary:
    agg = customer.orders.exclude(status="cancelled").aggregate(
        n=Count("pk"), total=Sum("total_amount"), last=Max("ordered_at"))
    return CustomerSummary(agg["n"], agg["total"] or 0, agg["last"])


@dataclass(frozen=True)
class HomeCounts:
    customers: int
    new_customers_30d: int
    orders_30d: int
    revenue_30d: Any
    products: int


def home_counts() -> HomeCounts:
    since = timezone.now() - timedelta(days=30)
    orders = Order.objects.filter(ordered_at__gte=since).exclude(status="cancelled")
    agg = orders.aggregate(n=Count("pk"), revenue=Sum("total_amount"))
    return HomeCounts(
        customers=Customer.objects.count(),
        new_customers_30d=Customer.objects.filter(joined_at__gte=since).count(),
        orders_30d=agg["n"],
        revenue_30d=agg["revenue"] or 0,
        products=Product.objects.count(),
    )


def recent_orders(limit: int = 10) -> QuerySet[Order]:
    return Order.objects.select_related("customer").order_by("-ordered_at")[:limit]


def list_import_jobs(limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at")[:limit]


def get_import_job(pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None:
        raise NotFound("No such import.")
    return job


def find_consent(*, customer_id: int, channel: str, purpose: str) -> Consent | None:
    """The consent row of one customer for one channel and purpose, if ever recorded."""
    return Consent.objects.filter(customer_id=customer_id, channel=channel,
                                  purpose=purpose).first()


def consents_by_customer(*, customer_ids: list[int], channel: str,
                         purpose: str) -> dict[int, Consent]:
    """The consent rows of many customers for one channel and purpose, by customer id."""
    rows = Consent.objects.filter(customer_id__in=customer_ids, channel=channel, purpose=purpose)
    return {consent.customer_id: consent for consent in rows}


def ad_consents_granted_within(*, ranges: list[tuple[datetime, datetime]],
                               channels: list[str]) -> QuerySet[Consent]:
    """Advertising consents still in force that were granted inside any of ``ranges``."""
    within = Q()
    for start, end in ranges:
        within |= Q(granted_at__gte=start, granted_at__lt=end)
    in_force = Q(withdrawn_at__isnull=True) | Q(withdrawn_at__lt=F("granted_at"))
    return (Consent.objects.select_related("customer")
            .filter(within, in_force, purpose="ad", channel__in=channels).order_by("pk"))


def list_recommendations(*, customer: Customer, limit: int = 10) -> list[Recommendation]:
    """Products recommended for ``customer`` from their purchases, best first."""
    return recommend_for_customer(customer, n=limit)


def recommended_product_names(customer_ids: list[int], *, limit: int = 3) -> dict[int, str]:
    """Each customer's top recommendations as ``"name, name, name"`` (for messages)."""
    found = recommend_for_customers(customer_ids, n=limit)
    return {c: ", ".join(r.name for r in recs) for c, recs in found.items()}


def find_recommendation_build() -> RecommendationBuild | None:
    """The recommendation build in use (None before the first one finished)."""
    return find_current_build()
