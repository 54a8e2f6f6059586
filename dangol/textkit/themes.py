"""Theme (aspect) taxonomy and cue matching.

A taxonomy is data: a list of themes, each with labels and Korean and
English cue words. Businesses override it from a dict or JSON document (the
web app stores one per business). Korean cues match morpheme forms, so
"배송이", "배송은" and "당일배송" all hit the cue 배송 while "검색" does not hit
색; English cues match lower-cased words or word sequences.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dangol.textkit.english import Word
from dangol.textkit.morph import Morpheme

__all__ = ["Taxonomy", "TaxonomyError", "Theme", "default_taxonomy"]


class TaxonomyError(ValueError):
    """A taxonomy document is malformed; the message names the offending field."""


@dataclass(frozen=True)
class Theme:
    """One theme: a stable name, display labels and cue words per language."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_NOUN_PIECES = frozenset({"NNG", "NNP", "XR", "SL", "SH"})
# Tags a cue can start with: nouns, roots, verb and adjective stems, adverbs.
_CUE_TAGS = frozenset({"NNG", "NNP", "NNB", "XR", "SL", "SH", "VV", "VA", "MAG", "XPN"})


class Taxonomy:
    """An ordered set of themes with compiled cue matchers."""

    def __init__(self, themes: Sequence[Theme]) -> None:
        names = [t.name for t in themes]
        if len(set(names)) != len(names):
            raise TaxonomyError("themes: names must be unique")
        self.themes: tuple[Theme, ...] = tuple(themes)
        self._ko: dict[str, list[tuple[tuple[str, ...], str]]] | None = None
        self._ko_single: dict[str, str] = {}
        self._inside_cache: dict[str, str | None] = {}
        self._en: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for theme in self.themes:
            for cue in theme.cues.get("en", ()):
                words = tuple(cue.lower().split())
                if not words:
                    continue
                variants = {words}
                if len(words) == 1 and not words[0].endswith("s"):
                    variants.add((words[0] + "s",))
                for v in variants:
                    self._en.setdefault(v[0], []).append((v, theme.name))

    @property
    def names(self) -> list[str]:
        """Theme names in taxonomy order."""
        return [t.name for t in self.themes]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Taxonomy:
        """Build from ``{"themes": [{"name", "labels", "cues": {"ko": [...], "en": [...]}}]}``."""
        raw = data.get("themes")
        if not isinstance(raw, list) or not raw:
            raise TaxonomyError("themes: expected a non-empty list")
        themes: list[Theme] = []
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise TaxonomyError(f"themes[{i}]: expected an object")
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                raise TaxonomyError(f"themes[{i}].name: expected a non-empty string")
            labels = item.get("labels", {})
            cues = item.get("cues", {})
            if not isinstance(labels, Mapping) or not isinstance(cues, Mapping):
                raise TaxonomyError(f"themes[{i}]: labels and cues must be objects")
            cue_map: dict[str, tuple[str, ...]] = {}
            for lang, words in cues.items():
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise TaxonomyError(f"themes[{i}].cues.{lang}: expected a list of strings")
                cue_map[str(lang)] = tuple(w.strip() for w in words if w.strip())
            themes.append(Theme(name.strip(), {str(k): str(v) for k, v in labels.items()}, cue_map))
        return cls(themes)

    @classmethod
    def from_json(cls, source: str | Path) -> Taxonomy:
        """Build from a JSON string or a path to a JSON file."""
        text = source.read_text("utf-8") if isinstance(source, Path) else source
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TaxonomyError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        if not isinstance(data, Mapping):
            raise TaxonomyError("expected a JSON object")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy as a JSON-ready dict (round-trips through :meth:`from_dict`)."""
        return {
            "version": 1,
            "themes": [
                {
                    "name": t.name,
                    "labels": dict(t.labels),
                    "cues": {k: list(v) for k, v in t.cues.items()},
                }
                for t in self.themes
            ],
        }

    def _compile_korean(self, analyse: Callable[[str], list[Morpheme]]) -> None:
        index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        single: dict[str, str] = {}
        for theme in self.themes:
            for cue in theme.cues.get("ko", ()):
                seqs: set[tuple[str, ...]] = {(cue,)}
                # A compound cue (고객센터 = 고객 + 센터) also matches as a morpheme
                # sequence, but only when every piece is a noun or root: "하자"
                # analysed alone is 하/VV + 자/EF, and 하 would then match everywhere.
                morphs = analyse(cue)
                if len(morphs) > 1 and all(m.tag in _NOUN_PIECES for m in morphs):
                    seqs.add(tuple(m.form for m in morphs))
                for seq in seqs:
                    index.setdefault(seq[0], []).append((seq, theme.name))
                if len(cue) >= 2:
                    single.setdefault(cue, theme.name)
        self._ko = index
        self._ko_single = single

    def match_korean(
        self, morphs: Sequence[Morpheme], analyse: Callable[[str], list[Morpheme]]
    ) -> list[tuple[str, int]]:
        """``(theme, morpheme index)`` for every cue hit in a Korean morpheme list.

        ``analyse`` turns a cue into morphemes; it is called once per cue the
        first time this taxonomy meets Korean text.
        """
        if self._ko is None:
            self._compile_korean(analyse)
        index = self._ko
        assert index is not None
        hits: list[tuple[str, int]] = []
        n = len(morphs)
        for i, m in enumerate(morphs):
            tag = m.tag
            if tag not in _CUE_TAGS:
                # Particles, endings and punctuation never start a cue.
                continue
            form = m.form.lower() if tag == "SL" else m.form
            matched = False
            for seq, name in index.get(form, ()):
                if len(seq) == 1 or all(
                    i + k < n and morphs[i + k].form == seq[k] for k in range(1, len(seq))
                ):
                    hits.append((name, i))
                    matched = True
            if tag == "SL":
                for seq, name in self._en.get(form, ()):
                    if len(seq) == 1:
                        hits.append((name, i))
            elif not matched and tag == "NNG" and len(form) >= 3:
                # Compound nouns Kiwi keeps whole (새벽배송, 배송조회): look for a cue inside.
                name_in = self._cue_inside(form)
                if name_in is not None:
                    hits.append((name_in, i))
        return hits

    def _cue_inside(self, form: str) -> str | None:
        if form in self._inside_cache:
            return self._inside_cache[form]
        found: str | None = None
        for size in range(min(len(form) - 1, 4), 1, -1):
            for start in range(len(form) - size + 1):
                found = self._ko_single.get(form[start : start + size])
                if found is not None:
                    break
            if found is not None:
                break
        if len(self._inside_cache) < 50_000:
            self._inside_cache[form] = found
        return found

    def match_english(self, words: Sequence[Word]) -> list[tuple[str, int]]:
        """``(theme, word index)`` for every cue hit in an English word list."""
        hits: list[tuple[str, int]] = []
        n = len(words)
        for i, w in enumerate(words):
            for seq, name in self._en.get(w.form, ()):
                if all(i + k < n and words[i + k].form == seq[k] for k in range(1, len(seq))):
                    hits.append((name, i))
        return hits


@cache
def default_taxonomy() -> Taxonomy:
    """The built-in commerce and service taxonomy (``data/taxonomy.json``)."""
    text = resources.files("dangol.textkit").joinpath("data/taxonomy.json").read_text("utf-8")
    return Taxonomy.from_json(text)
