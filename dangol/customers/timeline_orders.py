"""Orders on the customer timeline."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry


def order_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    for order in customer.orders.order_by("-ordered_at")[:limit]:
        yield TimelineEntry(
            at=order.ordered_at, kind="order",
            title=_("Order %(id)s") % {"id": order.external_id},
            detail=f"{order.total_amount:,.0f} {order.currency} · {order.get_status_display()}")
