"""Journey entries on the customer timeline (held out and skipped ones too: they sent
nothing, so the message list alone would not show them)."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.campaigns.journey_models import JourneyEntry
from dangol.campaigns.journeys import reason_label
from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry


def journey_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    entries = (JourneyEntry.objects.filter(customer=customer).select_related("journey")
               .order_by("-at", "-pk")[:limit])
    for entry in entries:
        detail = entry.get_outcome_display()
        if entry.reason:
            detail += f" ({reason_label(entry.reason)})"
        yield TimelineEntry(
            at=entry.at, kind="journey_entry",
            title=_("Journey: %(name)s") % {"name": entry.journey.name},
            detail=detail, url=reverse("campaigns:journey_detail", args=[entry.journey_id]),
            permission="campaigns.view")
