"""Messages on the customer timeline."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry
from dangol.engagement.models import Message


def message_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    for message in Message.objects.filter(customer=customer).order_by("-created_at")[:limit]:
        detail = message.get_status_display()
        if message.block_reason:
            detail += f" ({message.get_block_reason_display()})"
        yield TimelineEntry(
            at=message.created_at, kind="message",
            title=_("%(channel)s message: %(subject)s") % {
                "channel": message.get_channel_display(),
                "subject": message.subject or message.body[:40]},
            detail=detail, url=reverse("engagement:message", args=[message.pk]),
            permission="engagement.view")
