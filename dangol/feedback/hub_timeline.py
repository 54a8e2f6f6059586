"""Feedback items (reviews, posts, conversations …) on the customer timeline."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry
from dangol.feedback import hub_selectors
from dangol.feedback.items import VIEW


def item_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    for item in hub_selectors.items_of_customer(customer.pk, limit):
        where = item.channel or item.get_source_display()
        title = _("%(source)s on %(channel)s") % {"source": item.get_source_display(),
                                                  "channel": where}
        if item.rating is not None:
            title = _("%(title)s: %(rating)s of %(scale)s") % {
                "title": title, "rating": f"{item.rating.normalize():f}",
                "scale": item.rating_scale}
        yield TimelineEntry(
            at=item.occurred_at, kind="feedback_item", title=title,
            detail=Truncator(hub_selectors.shown_text(item)).chars(160),
            url=reverse("feedback:item", args=[item.pk]), permission=VIEW)
