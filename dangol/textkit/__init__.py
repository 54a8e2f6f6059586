"""Korean-first text analytics for customer comments, offline and without Django.

The public API::

    from dangol import textkit

    a = textkit.analyze("배송은 느렸지만 옷은 예뻐요 ㅎㅎ 010-1234-5678")
    a.lang, a.sentiment.label, a.sentiment.score, a.themes, a.keywords, a.masked

    textkit.analyze_many(texts)            # batched; iter_analyze() streams
    textkit.sentiment(text)                # Sentiment(label, score)
    textkit.themes(text, taxonomy)         # [ThemeSentiment(name, sentiment, score)]
    textkit.keywords(text)                 # ["배송", "옷", ...]
    textkit.mask_pii(text), textkit.find_pii(text)
    textkit.detect_language(text), textkit.split_sentences(text)
    textkit.Taxonomy.from_dict(...), textkit.default_taxonomy()
    textkit.top_keywords_by_period(records), textkit.detect_emerging(recent, baseline)

Korean morphological analysis uses kiwipiepy, loaded lazily once per process;
the sentiment models ship in ``dangol/textkit/models`` (see MODEL_CARD.md).
"""

from __future__ import annotations

from dangol.textkit.lang import Language, clean_text, detect_language
from dangol.textkit.pii import PiiMatch, find_pii, mask_pii
from dangol.textkit.pipeline import (
    Analysis,
    Label,
    Sentiment,
    ThemeSentiment,
    analyze,
    analyze_many,
    iter_analyze,
)
from dangol.textkit.sentences import split_sentences
from dangol.textkit.themes import Taxonomy, TaxonomyError, Theme, default_taxonomy
from dangol.textkit.trends import (
    Emerging,
    KeywordStat,
    NegativeSpike,
    detect_emerging,
    detect_negative_spikes,
    top_keywords_by_period,
)

__all__ = [
    "Analysis",
    "Emerging",
    "KeywordStat",
    "Label",
    "Language",
    "NegativeSpike",
    "PiiMatch",
    "Sentiment",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "ThemeSentiment",
    "analyze",
    "analyze_many",
    "clean_text",
    "default_taxonomy",
    "detect_emerging",
    "detect_language",
    "detect_negative_spikes",
    "find_pii",
    "iter_analyze",
    "keywords",
    "mask_pii",
    "sentiment",
    "split_sentences",
    "themes",
    "top_keywords_by_period",
]


def sentiment(text: str) -> Sentiment:
    """Sentiment of one comment (label and calibrated score in [-1, 1])."""
    return analyze(text).sentiment


def themes(text: str, taxonomy: Taxonomy | None = None) -> list[ThemeSentiment]:
    """Themes of one comment, each with the sentiment of the clauses that mention it."""
    return list(analyze(text, taxonomy).themes)


def keywords(text: str) -> list[str]:
    """Noun keywords and phrases of one comment (personal data masked first)."""
    return list(analyze(text).keywords)
