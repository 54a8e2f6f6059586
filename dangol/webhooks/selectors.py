"""Reads for webhooks: endpoints, deliveries and events."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from dangol.core.errors import NotFound
from dangol.webhooks.models import Delivery, DeliveryStatus, Endpoint


def list_endpoints() -> QuerySet[Endpoint]:
    """Endpoints with their count of pending and given-up deliveries."""
    return Endpoint.objects.annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("id")


def get_endpoint(*, endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."), code="endpoint_not_found")
    return endpoint


def list_deliveries(*, endpoint_id: int | None = None, status: str = "", event_type: str = "",
                    kind: str = "", event_id: str = "", since: datetime | None = None,
                    until: datetime | None = None) -> QuerySet[Delivery]:
    """Deliveries, newest first, filtered by endpoint, status, event type, kind and
    creation time [since, until)."""
    deliveries = Delivery.objects.select_related("event", "endpoint").order_by("-id")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    if kind:
        deliveries = deliveries.filter(kind=kind)
    if event_id:
        deliveries = deliveries.filter(event__uid=event_id)
    if since is not None:
        deliveries = deliveries.filter(created_at__gte=since)
    if until is not None:
        deliveries = deliveries.filter(created_at__lt=until)
    return deliveries


def recent_deliveries(*, endpoint_id: int, limit: int = 50) -> list[Delivery]:
    return list(list_deliveries(endpoint_id=endpoint_id)[:limit])
