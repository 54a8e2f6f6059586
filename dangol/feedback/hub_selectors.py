"""Reads of the feedback stream: filtered items, one item, and a summary of a filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, QuerySet

from dangol import textkit
from dangol.core.errors import NotFound
from dangol.feedback.models import FeedbackItem, ThemeMention
from dangol.feedback.selectors import SENTIMENTS, theme_labels


@dataclass(frozen=True)
class ItemFilter:
    """What the stream shows. With a ``theme``, ``sentiment`` is the sentiment of the
    clauses that mention it; without one, the item's overall sentiment. ``q``
    searches the masked text, so personal data cannot be searched for."""

    source: str = ""
    channel: str = ""
    sentiment: str = ""
    theme: str = ""
    q: str = ""
    since: datetime | None = None
    until: datetime | None = None
    customer_pk: int | None = None


@dataclass(frozen=True)
class StreamSummary:
    total: int
    sentiments: dict[str, int]
    themes: list[tuple[str, str, int]] = field(default_factory=list)  # key, label, count


def filter_items(spec: ItemFilter) -> QuerySet[FeedbackItem]:
    """Items matching ``spec``, newest first (by when they were written)."""
    items = FeedbackItem.objects.all()
    if spec.source:
        items = items.filter(source=spec.source)
    if spec.channel:
        items = items.filter(channel=spec.channel)
    if spec.customer_pk is not None:
        items = items.filter(customer_id=spec.customer_pk)
    if spec.since is not None:
        items = items.filter(occurred_at__gte=spec.since)
    if spec.until is not None:
        items = items.filter(occurred_at__lt=spec.until)
    if spec.theme:
        mentions = ThemeMention.objects.filter(theme=spec.theme,
                                               analysis__feedback_item__isnull=False)
        if spec.sentiment:
            mentions = mentions.filter(sentiment=spec.sentiment)
        items = items.filter(analysis__in=mentions.values("analysis_id"))
    elif spec.sentiment:
        items = items.filter(analysis__sentiment=spec.sentiment)
    if spec.q:
        items = items.filter(analysis__masked_text__icontains=spec.q)
    return items.order_by("-occurred_at", "-pk")


def with_analysis(items: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    return items.select_related("analysis", "customer", "product").prefetch_related(
        "analysis__themes")


def get_item(pk: int) -> FeedbackItem:
    item = with_analysis(FeedbackItem.objects.filter(pk=pk)).first()
    if item is None:
        raise NotFound(f"No feedback item {pk}.")
    return item


def shown_text(item: FeedbackItem) -> str:
    """The item's text as pages and the API show it: personal data masked."""
    analysis = getattr(item, "analysis", None)
    return analysis.masked_text if analysis is not None else textkit.mask_pii(item.text)


def channels() -> list[str]:
    return list(FeedbackItem.objects.exclude(channel="").values_list("channel", flat=True)
                .distinct().order_by("channel")[:200])


def summarise(items: QuerySet[FeedbackItem], *, language: str, top: int = 8) -> StreamSummary:
    """Counts by overall sentiment and the most mentioned themes (grouped in SQL)."""
    ids = items.order_by().values("pk")
    found = dict(FeedbackItem.objects.filter(pk__in=ids).values_list("analysis__sentiment")
                 .annotate(n=Count("pk")).order_by())
    total = sum(found.values())
    rows = (ThemeMention.objects.filter(analysis__feedback_item__in=ids)
            .values_list("theme").annotate(n=Count("pk")).order_by("-n", "theme")[:top])
    labels = theme_labels(language)
    return StreamSummary(
        total=total, sentiments={s.value: found.get(s.value, 0) for s in SENTIMENTS},
        themes=[(theme, labels.get(theme, theme), n) for theme, n in rows])


def items_of_customer(customer_pk: int, limit: int) -> QuerySet[FeedbackItem]:
    return with_analysis(filter_items(ItemFilter(customer_pk=customer_pk)))[:limit]

