"""Cases on the customer timeline."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.cases.models import Case
from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry


def case_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    for case in Case.objects.filter(customer=customer).order_by("-created_at", "-pk")[:limit]:
        yield TimelineEntry(
            at=case.created_at, kind="case",
            title=_("Case #%(id)s opened: %(subject)s") % {"id": case.pk,
                                                          "subject": case.subject},
            detail=case.get_status_display() + (
                f" · {case.get_resolution_code_display()}" if case.resolution_code else ""),
            url=reverse("cases:detail", args=[case.pk]), permission="cases.view")
