"""Points on the customer timeline."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry
from dangol.loyalty.models import Entry


def entry_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    entries = (Entry.objects.filter(account__customer=customer)
               .order_by("-at", "-id")[:limit])
    for entry in entries:
        yield TimelineEntry(
            at=entry.at, kind="points",
            title=_("%(kind)s %(points)+d points (%(source)s)") % {
                "kind": entry.get_kind_display(), "points": entry.points,
                "source": entry.get_source_display()},
            detail=_("balance %(balance)s") % {"balance": f"{entry.balance_after:,}"},
            url=reverse("loyalty:member", args=[customer.pk]), permission="loyalty.view")
