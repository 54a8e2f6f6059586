"""Reads of the feedback app: the business taxonomy, analysed texts, theme counts, filters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from dangol import textkit
from dangol.feedback.models import (
    ReanalysisJob,
    Sentiment,
    TaxonomyTheme,
    TextAnalysis,
    ThemeMention,
    ThemeTaxonomy,
)

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


@dataclass(frozen=True)
class ThemeInfo:
    """A theme of the business taxonomy as pages show it."""

    name: str
    label_ko: str
    label_en: str
    cues_ko: tuple[str, ...]
    cues_en: tuple[str, ...]
    enabled: bool = True
    position: int = 0

    def label(self, language: str) -> str:
        first, second = (self.label_en, self.label_ko) if language == "en" else (
            self.label_ko, self.label_en)
        return first or second or self.name

    def as_theme(self) -> textkit.Theme:
        return textkit.Theme(self.name, {"ko": self.label_ko, "en": self.label_en},
                             {"ko": self.cues_ko, "en": self.cues_en})


@dataclass(frozen=True)
class TaxonomySnapshot:
    """The business taxonomy at one revision, with its compiled matcher.

    ``taxonomy`` holds only the themes in use; ``themes`` all of them, in
    order; ``retired`` the labels of deleted themes (by key).
    """

    revision: str
    version: int
    customised: bool
    themes: tuple[ThemeInfo, ...]
    retired: dict[str, dict[str, str]]
    taxonomy: textkit.Taxonomy

    def find(self, name: str) -> ThemeInfo | None:
        return next((t for t in self.themes if t.name == name), None)

    def labels(self, language: str) -> dict[str, str]:
        """Label of every theme key this business ever had (deleted ones marked)."""
        out = {t.name: t.label(language) for t in _default_infos()}
        for name, labels in self.retired.items():
            first, second = ("en", "ko") if language == "en" else ("ko", "en")
            label = labels.get(first) or labels.get(second) or name
            with translation.override(language):
                out[name] = _("%(label)s (deleted)") % {"label": label}
        out.update({t.name: t.label(language) for t in self.themes})
        return out


def default_theme_infos() -> list[ThemeInfo]:
    """The shipped default taxonomy as theme rows (what a business starts from)."""
    return list(_default_infos())


@cache
def _default_infos() -> tuple[ThemeInfo, ...]:
    return tuple(ThemeInfo(name=t.name, label_ko=t.labels.get("ko", ""),
                           label_en=t.labels.get("en", ""), cues_ko=t.cues.get("ko", ()),
                           cues_en=t.cues.get("en", ()), position=i)
                 for i, t in enumerate(textkit.default_taxonomy().themes))


def compile_taxonomy(themes: Iterable[ThemeInfo]) -> textkit.Taxonomy:
    """A textkit taxonomy of the themes in use (possibly none)."""
    return textkit.Taxonomy([t.as_theme() for t in themes if t.enabled])


_DEFAULT_REVISION = "default"
# One compiled taxonomy per process, rebuilt when the stored revision changes:
# a worker picks up an edit at its next task without a restart.
_snapshot: TaxonomySnapshot | None = None


def taxonomy_snapshot() -> TaxonomySnapshot:
    """The business taxonomy now: one small query, plus a rebuild after an edit."""
    global _snapshot
    row = ThemeTaxonomy.objects.filter(pk=ThemeTaxonomy.SINGLETON_PK).values_list(
        "revision", "version", "retired").first()
    revision = str(row[0]) if row else _DEFAULT_REVISION
    held = _snapshot
    if held is not None and held.revision == revision:
        return held
    if row is None:
        infos = _default_infos()
        snapshot = TaxonomySnapshot(revision, 0, False, infos, {}, textkit.default_taxonomy())
    else:
        infos = tuple(ThemeInfo(name=t.name, label_ko=t.label_ko, label_en=t.label_en,
                                cues_ko=tuple(t.cues_ko), cues_en=tuple(t.cues_en),
                                enabled=t.enabled, position=t.position)
                      for t in TaxonomyTheme.objects.filter(taxonomy_id=ThemeTaxonomy.SINGLETON_PK)
                      .order_by("position", "pk"))
        snapshot = TaxonomySnapshot(revision, row[1], True, infos, dict(row[2] or {}),
                                    compile_taxonomy(infos))
    _snapshot = snapshot
    return snapshot


def business_taxonomy() -> textkit.Taxonomy:
    """The compiled taxonomy (themes in use) that analysis applies now."""
    return taxonomy_snapshot().taxonomy


def theme_labels(language: str) -> dict[str, str]:
    """Label in ``language`` of every theme key (business, deleted and default themes)."""
    return taxonomy_snapshot().labels(language)


def theme_label(name: str, language: str) -> str:
    """The theme's name in ``language`` (its key when no taxonomy knows it)."""
    return theme_labels(language).get(name, name)


def theme_choices(language: str) -> list[tuple[str, str]]:
    """(theme key, label in ``language``) of the business taxonomy, in its order."""
    return [(t.name, t.label(language)) for t in taxonomy_snapshot().themes]


def cue_overlaps(*, name: str | None, cues_ko: Iterable[str], cues_en: Iterable[str],
                 language: str) -> list[tuple[str, str]]:
    """(cue, other theme's label) for each cue that another theme also has: a comment
    with that word then counts for both themes."""
    ko, en = set(cues_ko), {c.lower() for c in cues_en}
    found = []
    for theme in taxonomy_snapshot().themes:
        if theme.name == name:
            continue
        found += [(c, theme.label(language)) for c in theme.cues_ko if c in ko]
        found += [(c, theme.label(language)) for c in theme.cues_en if c.lower() in en]
    return found


def answers_per_theme() -> dict[str, int]:
    """How many analysed answers mention each theme key (one grouped query)."""
    return dict(ThemeMention.objects.values_list("theme").annotate(n=Count("pk")).order_by())


def latest_reanalysis() -> ReanalysisJob | None:
    return ReanalysisJob.objects.order_by("-created_at", "-pk").first()


def find_reanalysis(pk: int) -> ReanalysisJob | None:
    return ReanalysisJob.objects.filter(pk=pk).first()


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
    labels = theme_labels(language)
    counts = [ThemeCount(theme=theme, label=labels.get(theme, theme), positive=positive,
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
