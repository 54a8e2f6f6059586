"""The analysis pipeline: mask, identify, tokenise, score, find themes and keywords.

Texts are processed in batches. Within a batch every scoring unit (a whole
comment, or one clause that mentions a theme) is collected first and then
featurised and scored with one vectorised pass per language, which is what
keeps the Python overhead small next to Kiwi's own analysis time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from dangol.textkit import english, korean, lexicon
from dangol.textkit.features import featurize
from dangol.textkit.lang import Language, clean_text, detect_language, has_content, sanitize
from dangol.textkit.model import SentimentModel, load_model
from dangol.textkit.morph import Morpheme, morphemes, morphemes_many
from dangol.textkit.pii import mask_pii
from dangol.textkit.themes import Taxonomy, default_taxonomy

__all__ = [
    "MAX_ANALYSIS_CHARS",
    "Analysis",
    "Label",
    "Sentiment",
    "ThemeSentiment",
    "analyze",
    "analyze_many",
    "iter_analyze",
]

Label = Literal["positive", "neutral", "negative"]
# Sentiment, themes and keywords look at this many characters at most; masking
# always covers the whole text. A customer comment longer than this is almost
# always pasted junk, and the cap bounds the time one line can take.
MAX_ANALYSIS_CHARS = 5000
MAX_KEYWORDS = 10


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A label and a calibrated score in [-1, 1] (``2 * P(positive) - 1``)."""

    label: Label
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"label": self.label, "score": self.score}


NEUTRAL = Sentiment("neutral", 0.0)


@dataclass(frozen=True, slots=True)
class ThemeSentiment:
    """A theme found in a comment, with the sentiment of the clauses that mention it."""

    name: str
    sentiment: Label
    score: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "sentiment": self.sentiment, "score": self.score}


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything textkit says about one comment."""

    lang: Language
    sentiment: Sentiment
    themes: tuple[ThemeSentiment, ...]
    keywords: tuple[str, ...]
    masked: str
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``dangol text analyze`` output line)."""
        return {
            "lang": self.lang,
            "sentiment": self.sentiment.to_dict(),
            "themes": [t.to_dict() for t in self.themes],
            "keywords": list(self.keywords),
            "masked": self.masked,
            "truncated": self.truncated,
        }


@dataclass
class _Units:
    """Scoring units of one language collected across a batch."""

    texts: list[str] = field(default_factory=list)
    keys: list[list[str]] = field(default_factory=list)
    bags: list[list[str]] = field(default_factory=list)
    lex: list[float] = field(default_factory=list)
    domain: list[bool] = field(default_factory=list)

    def add(
        self, text: str, keys: list[str], bag: list[str], lex: float, domain: bool = True
    ) -> int:
        self.texts.append(text)
        self.keys.append(keys)
        self.bags.append(bag)
        self.lex.append(lex)
        self.domain.append(domain)
        return len(self.texts) - 1

    def score(self, model: SentimentModel) -> npt.NDArray[np.float64]:
        """Calibrated log-odds of every unit."""
        if not self.texts:
            return np.zeros(0)
        batch = featurize(self.texts, self.keys, self.bags, model.spec)
        raw = model.blended_logits(model.raw_logits(batch), self.keys)
        return model.calibrated_logits(
            raw, np.asarray(self.lex, dtype=np.float64), np.asarray(self.domain, dtype=bool)
        )


@dataclass
class _Doc:
    masked: str
    lang: Language
    truncated: bool
    unit: int | None = None
    keywords: list[str] = field(default_factory=list)
    themes: dict[str, list[int]] = field(default_factory=dict)


def _label(p: float, band: float) -> Label:
    if p >= 0.5 + band:
        return "positive"
    if p <= 0.5 - band:
        return "negative"
    return "neutral"


def _probability(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * max(-60.0, min(60.0, z))))


def _sentiment(z: float, band: float) -> Sentiment:
    p = _probability(z)
    return Sentiment(_label(p, band), round(2.0 * p - 1.0, 3))


def _add_theme_units(
    doc: _Doc,
    hits: list[tuple[str, int]],
    spans: list[tuple[int, int]],
    text: str,
    tokens: Sequence[Morpheme] | Sequence[english.Word],
    keys: list[str],
    flags: list[bool],
    units: _Units,
    score: Callable[[Any, str, Sequence[bool]], float],
) -> None:
    """Attach every theme hit to a scoring unit for the clause it occurs in."""
    assert doc.unit is not None
    if len(spans) <= 1:
        for name, _ in hits:
            doc.themes.setdefault(name, [doc.unit])
        return
    clause_of = [0] * len(tokens)
    for c, (a, b) in enumerate(spans):
        clause_of[a:b] = [c] * (b - a)
    clause_unit: dict[int, int] = {}
    for name, i in hits:
        c = clause_of[i]
        if c not in clause_unit:
            a, b = spans[c]
            part = tokens[a:b]
            sub = text[part[0].start : part[-1].end]
            bag = ["~" + keys[j] for j in range(a, b) if flags[j]]
            clause_unit[c] = units.add(sub.lower(), keys[a:b], bag, score(part, sub, flags[a:b]))
        units_of = doc.themes.setdefault(name, [])
        if clause_unit[c] not in units_of:
            units_of.append(clause_unit[c])


def _prepare_korean(
    doc: _Doc, text: str, morphs: list[Morpheme], units: _Units, taxonomy: Taxonomy
) -> None:
    flags = korean.negated(morphs)
    keys = korean.keys_of(morphs)
    bag = ["~" + keys[i] for i, f in enumerate(flags) if f]
    hits = taxonomy.match_korean(morphs, morphemes)
    lex = lexicon.score_korean(morphs, text, flags, keys)
    doc.unit = units.add(text.lower(), keys, bag, lex, domain=bool(hits))
    doc.keywords = korean.noun_phrases(morphs, text)[:MAX_KEYWORDS]
    if hits:
        spans = korean.clause_spans(morphs)
        _add_theme_units(doc, hits, spans, text, morphs, keys, flags, units, lexicon.score_korean)


def _prepare_english(doc: _Doc, text: str, units: _Units, taxonomy: Taxonomy) -> None:
    words = english.tokenize(text)
    flags = english.negated(words)
    keys = [w.form for w in words]
    bag = ["~" + keys[i] for i, f in enumerate(flags) if f]
    hits = taxonomy.match_english(words)
    lex = lexicon.score_english(words, text, flags)
    doc.unit = units.add(text.lower(), keys, bag, lex, domain=bool(hits))
    doc.keywords = english.keyword_phrases(words)[:MAX_KEYWORDS]
    if hits:
        spans = english.clause_spans(words)
        _add_theme_units(doc, hits, spans, text, words, keys, flags, units, lexicon.score_english)


def _finish(doc: _Doc, z: npt.NDArray[np.float64] | None, band: float) -> Analysis:
    if doc.unit is None or z is None:
        return Analysis(doc.lang, NEUTRAL, (), tuple(doc.keywords), doc.masked, doc.truncated)
    z_doc = float(z[doc.unit])
    themes: list[ThemeSentiment] = []
    for name, unit_ids in doc.themes.items():
        zt = float(np.mean(z[unit_ids])) if len(unit_ids) > 1 else float(z[unit_ids[0]])
        if abs(_probability(zt) - 0.5) < band:
            # A theme named in a flat clause ("배송 관련해서 문의했는데") takes part of
            # the comment's overall tone rather than staying neutral.
            zt = 0.5 * zt + 0.5 * z_doc
        s = _sentiment(zt, band)
        themes.append(ThemeSentiment(name, s.label, s.score))
    return Analysis(
        doc.lang,
        _sentiment(z_doc, band),
        tuple(themes),
        tuple(doc.keywords),
        doc.masked,
        doc.truncated,
    )


def _analyze_batch(texts: Sequence[str], taxonomy: Taxonomy) -> list[Analysis]:
    docs: list[_Doc] = []
    prepared: list[str] = []
    for raw in texts:
        safe = sanitize(raw if isinstance(raw, str) else str(raw))
        masked = mask_pii(safe)
        text = clean_text(masked[: MAX_ANALYSIS_CHARS * 2], sanitized=True)
        truncated = len(text) > MAX_ANALYSIS_CHARS
        if truncated:
            cut = text.rfind(" ", 0, MAX_ANALYSIS_CHARS)
            text = text[: cut if cut > MAX_ANALYSIS_CHARS // 2 else MAX_ANALYSIS_CHARS]
        docs.append(_Doc(masked, detect_language(text), truncated))
        prepared.append(text if has_content(text) else "")
    units = {"ko": _Units(), "en": _Units()}
    ko_idx = [i for i, d in enumerate(docs) if d.lang == "ko" and prepared[i]]
    if ko_idx:
        for i, morphs in zip(ko_idx, morphemes_many(prepared[i] for i in ko_idx), strict=True):
            if morphs:
                _prepare_korean(docs[i], prepared[i], morphs, units["ko"], taxonomy)
    for i, d in enumerate(docs):
        if d.lang == "en" and prepared[i]:
            _prepare_english(d, prepared[i], units["en"], taxonomy)
    scores: dict[str, npt.NDArray[np.float64]] = {}
    bands: dict[str, float] = {}
    for lang, u in units.items():
        if u.texts:
            model = load_model(lang)
            scores[lang] = u.score(model)
            bands[lang] = model.neutral_band
    return [_finish(d, scores.get(d.lang), bands.get(d.lang, 0.15)) for d in docs]


def iter_analyze(
    texts: Iterable[str], taxonomy: Taxonomy | None = None, batch_size: int = 256
) -> Iterator[Analysis]:
    """Analyse a stream of texts in batches, yielding results in input order.

    Memory stays bounded by ``batch_size`` whatever the stream length.
    """
    tax = taxonomy or default_taxonomy()
    it = iter(texts)
    while batch := list(islice(it, batch_size)):
        yield from _analyze_batch(batch, tax)


def analyze_many(
    texts: Iterable[str], taxonomy: Taxonomy | None = None, batch_size: int = 256
) -> list[Analysis]:
    """Analyse many texts; see :func:`iter_analyze` for a streaming version."""
    return list(iter_analyze(texts, taxonomy, batch_size))


def analyze(text: str, taxonomy: Taxonomy | None = None) -> Analysis:
    """Analyse one comment: language, sentiment, themes, keywords and masked text."""
    return _analyze_batch([text], taxonomy or default_taxonomy())[0]
