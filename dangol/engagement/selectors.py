"""Reads for the messaging outbox."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from dangol.customers.models import Customer
from dangol.engagement import compliance
from dangol.engagement.models import BlockReason, Message, Status

# A message left "sending" this long was held by a worker that died mid-send.
STALE_SENDING = timedelta(minutes=15)


def can_contact(*, customer: Customer, channel: str, purpose: str,
                at: datetime | None = None) -> BlockReason | None:
    """None if ``customer`` may be sent a ``purpose`` message on ``channel`` at ``at``.

    Otherwise the reason (a BlockReason, a str such as ``"no_consent"``), so
    callers can leave a customer out before queueing. ``at`` defaults to now.
    """
    return compliance.contact_block(customer=customer, channel=channel, purpose=purpose,
                                    at=at or timezone.now())


def due_message_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Messages to try now: queued ones whose time has come, and stale "sending" ones."""
    now = now or timezone.now()
    due = (Q(status=Status.QUEUED) & (Q(next_attempt_at__isnull=True)
                                     | Q(next_attempt_at__lte=now))) | Q(
        status=Status.SENDING, updated_at__lt=now - STALE_SENDING)
    return list(Message.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:limit])


def list_messages(*, channel: str = "", status: str = "", source: str = "",
                  customer_id: int | None = None) -> QuerySet[Message]:
    messages = Message.objects.select_related("customer")
    if channel:
        messages = messages.filter(channel=channel)
    if status:
        messages = messages.filter(status=status)
    if source:
        messages = messages.filter(source=source)
    if customer_id is not None:
        messages = messages.filter(customer_id=customer_id)
    return messages


def find_message(pk: int) -> Message | None:
    return Message.objects.select_related("customer").prefetch_related("events").filter(
        pk=pk).first()


def message_sources() -> list[str]:
    return sorted(Message.objects.exclude(source="").values_list("source", flat=True)
                  .distinct())
