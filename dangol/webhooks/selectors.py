"""Reads for webhooks: endpoints, deliveries and events."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.webhooks import events
from dangol.webhooks.models import Delivery, DeliveryStatus, Endpoint


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


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
    if event_type and not events.is_known(event_type):
        raise ValidationFailed([FieldProblem("event_type", _("Unknown event type: %(types)s")
                                             % {"types": event_type})])
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
        deliveries = deliveries.filter(created_at__gte=_aware(since))
    if until is not None:
        deliveries = deliveries.filter(created_at__lt=_aware(until))
    return deliveries


def recent_deliveries(*, endpoint_id: int, status: str = "", limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries; an unknown ``status`` is ignored (page filter)."""
    if status not in DeliveryStatus.values:
        status = ""
    return list(list_deliveries(endpoint_id=endpoint_id, status=status)[:limit])


def get_delivery(*, delivery_id: int) -> Delivery:
    delivery = Delivery.objects.select_related("event").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(_("No such delivery."), code="delivery_not_found")
    return delivery


def page(deliveries: QuerySet[Delivery], *, cursor: str | None,
         limit: int) -> tuple[list[Delivery], str | None]:
    """One page of ``deliveries`` (newest first) after ``cursor``, and the next cursor."""
    if cursor:
        if not cursor.isdigit():
            raise ValidationFailed([FieldProblem("cursor", _("Not a cursor from this list."))])
        deliveries = deliveries.filter(pk__lt=int(cursor))
    items = list(deliveries.order_by("-pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, (str(items[-1].pk) if more and items else None)
