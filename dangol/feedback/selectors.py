"""Reads of the feedback app: analysed texts, theme × sentiment counts, filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangol import textkit
from dangol.feedback.models import Sentiment, TextAnalysis, ThemeMention

SENTIMENTS = [Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE]


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    label: str
    positive: int
    neutral: int
    negative: int

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


def theme_label(name: str, language: str) -> str:
    """The theme's name in ``language`` (its key when the taxonomy does not know it)."""
    for theme in textkit.default_taxonomy().themes:
        if theme.name == name:
            return theme.labels.get(language) or theme.labels.get("en") or name
    return name


def theme_choices(language: str) -> list[tuple[str, str]]:
    """(theme key, label in ``language``) of the default taxonomy, in its order."""
    return [(t.name, t.labels.get(language) or t.labels.get("en") or t.name)
            for t in textkit.default_taxonomy().themes]


def theme_sentiment_counts(*, survey_pk: int, response_pks: QuerySet[Any] | None = None,
                           language: str = "en") -> list[ThemeCount]:
    """Mentions of each theme in a survey's answers by sentiment, most mentioned first.

    ``response_pks`` (a queryset of response ids) limits the count to those
    responses. Counted in SQL with one grouped query.
    """
    mentions = ThemeMention.objects.filter(survey_id=survey_pk)
    if response_pks is not None:
        mentions = mentions.filter(analysis__response_id__in=response_pks)
    rows = (mentions.values_list("theme")
            .annotate(**{f"n_{s.value}": Count("pk", filter=Q(sentiment=s.value))
                         for s in SENTIMENTS})
            .order_by("theme"))
    counts = [ThemeCount(theme=theme, label=theme_label(theme, language), positive=positive,
                         neutral=neutral, negative=negative)
              for theme, positive, neutral, negative in rows]
    return sorted(counts, key=lambda c: (-c.total, c.theme))


def sentiment_counts(*, survey_pk: int, response_pks: QuerySet[Any] | None = None
                     ) -> dict[str, int]:
    """Analysed texts of a survey per overall sentiment label."""
    analyses = TextAnalysis.objects.filter(survey_id=survey_pk)
    if response_pks is not None:
        analyses = analyses.filter(response_id__in=response_pks)
    found = dict(analyses.values_list("sentiment").annotate(n=Count("pk")).order_by())
    return {s.value: found.get(s.value, 0) for s in SENTIMENTS}


def responses_matching(*, survey_pk: int, theme: str = "", sentiment: str = "",
                       contains: str = "") -> QuerySet[Any] | None:
    """Ids of responses with an analysed text matching all given conditions, else None.

    With a ``theme``, ``sentiment`` is the sentiment of the clauses that
    mention the theme; without one, the text's overall sentiment. ``contains``
    searches the masked text, so personal data cannot be searched for.
    """
    if not (theme or sentiment or contains):
        return None
    analyses = TextAnalysis.objects.filter(survey_id=survey_pk)
    if theme:
        mentions = ThemeMention.objects.filter(survey_id=survey_pk, theme=theme)
        if sentiment:
            mentions = mentions.filter(sentiment=sentiment)
        analyses = analyses.filter(pk__in=mentions.values("analysis_id"))
    elif sentiment:
        analyses = analyses.filter(sentiment=sentiment)
    if contains:
        analyses = analyses.filter(masked_text__icontains=contains)
    return analyses.values("response_id")


def analyses_by_answer(answer_pks: Iterable[int]) -> dict[int, TextAnalysis]:
    """Stored analyses of the given answers (with their themes), by answer id."""
    return {a.answer_id: a for a in TextAnalysis.objects.filter(answer_id__in=list(answer_pks))
            .prefetch_related("themes") if a.answer_id is not None}
