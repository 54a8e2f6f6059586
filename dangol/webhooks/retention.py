"""How long events are kept: the service behind the nightly purge."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangol.webhooks.models import Delivery, DeliveryStatus, Event

DEFAULT_RETENTION_DAYS = 90
PURGE_BATCH = 1000


def purge_old_events(*, now: datetime | None = None) -> int:
    """Delete events older than WEBHOOK_RETENTION_DAYS with their delivery history.

    Payloads may hold personal data, which is kept no longer than needed (and
    replays reach back this far). Events that still have a pending delivery are
    kept. Deletes in batches, each in its own transaction; safe to run twice.
    Returns the number of events deleted.
    """
    days = int(getattr(settings, "WEBHOOK_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = (Event.objects.filter(created_at__lt=cutoff)
           .exclude(deliveries__status=DeliveryStatus.PENDING))
    deleted = 0
    while ids := list(old.values_list("id", flat=True)[:PURGE_BATCH]):
        with transaction.atomic():
            Delivery.objects.filter(event_id__in=ids).delete()
            deleted += Event.objects.filter(id__in=ids).delete()[0]
    return deleted
