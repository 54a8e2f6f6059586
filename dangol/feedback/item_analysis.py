"""Analysing feedback items with the same text analytics as survey answers.

Same rules as :mod:`dangol.feedback.analysis`: the CPU work runs outside any
transaction, storing is one short transaction, an item already analysed is
skipped, and the one-to-one link from an analysis to its item makes a
concurrent second run fail cleanly and leave the first run's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from dangol import textkit
from dangol.feedback import selectors
from dangol.feedback.analysis import BACKFILL_CHUNK, BackfillResult
from dangol.feedback.models import FeedbackItem, TextAnalysis, ThemeMention
from dangol.feedback.signals import items_analysed


def _pending() -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.filter(analysis__isnull=True).order_by("pk")


def analyse_items(*, item_pks: Sequence[int]) -> int:
    """Analyse and store the given items that have no analysis yet; returns how many."""
    return _analyse_and_store(list(_pending().filter(pk__in=list(item_pks))))


def analyse_item_range(*, first_pk: int, last_pk: int) -> int:
    """Analyse the not yet analysed items with ids in [first_pk, last_pk]."""
    return _analyse_and_store(list(_pending().filter(pk__gte=first_pk, pk__lte=last_pk)))


def pending_item_ranges(*, chunk_size: int = BACKFILL_CHUNK) -> Iterator[tuple[int, int]]:
    """(first, last) ids of consecutive chunks of items not analysed yet."""
    after = 0
    while pks := list(_pending().filter(pk__gt=after).values_list("pk", flat=True)
                      [:chunk_size]):
        yield pks[0], pks[-1]
        after = pks[-1]


def analyse_pending_items(*, chunk_size: int = BACKFILL_CHUNK) -> BackfillResult:
    """Analyse every item without an analysis, ``chunk_size`` per transaction."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    analysed = chunks = 0
    for first_pk, last_pk in pending_item_ranges(chunk_size=chunk_size):
        analysed += analyse_item_range(first_pk=first_pk, last_pk=last_pk)
        chunks += 1
    return BackfillResult(analysed=analysed, chunks=chunks)


def _analyse_and_store(items: Sequence[FeedbackItem]) -> int:
    if not items:
        return 0
    found = textkit.analyze_many([i.text for i in items], selectors.business_taxonomy())
    try:
        with transaction.atomic():
            analyses = TextAnalysis.objects.bulk_create([
                TextAnalysis(
                    source=TextAnalysis.Source.FEEDBACK_ITEM, feedback_item=item,
                    language=result.lang, sentiment=result.sentiment.label,
                    sentiment_score=max(-1.0, min(1.0, result.sentiment.score)),
                    keywords=list(result.keywords), masked_text=result.masked,
                )
                for item, result in zip(items, found, strict=True)
            ])
            ThemeMention.objects.bulk_create([
                ThemeMention(analysis=analysis, theme=theme.name, sentiment=theme.sentiment,
                             score=theme.score)
                for analysis, result in zip(analyses, found, strict=True)
                for theme in result.themes
            ])
            items_analysed.send(sender=FeedbackItem, item_pks=[item.pk for item in items])
    except IntegrityError:
        # Another worker stored these items first; its rows stand.
        return 0
    return len(analyses)
