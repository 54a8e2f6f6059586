"""Plain text from the HTML that survey tools store, and Dangol keys from source ids."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from dangol.surveys.definition import KEY_PATTERN

_BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def plain_text(value: object) -> str:
    """The readable text of an HTML fragment: tags dropped, entities decoded, spaces tidied.

    Paragraphs and line breaks become single line breaks; scripts and styles
    are dropped with their content.
    """
    if value is None:
        return ""
    collector = _TextCollector()
    collector.feed(str(value))
    collector.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def language_code(value: object) -> str:
    """A source language code in one spelling: lower case, '-' between parts ("EN_GB" → "en-gb")."""
    return str(value or "").strip().lower().replace("_", "-")


def truthy(value: object) -> bool:
    """Whether an export's flag is set; tools write true, 1, "1", "true", "Y" and "yes"."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "y", "yes", "on"}
    return bool(value)


class KeyMaker:
    """Question keys that fit ``KEY_PATTERN``, made from source ids and never used twice."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, source: str, *, fallback: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "_", source.lower()).strip("_")
        if not base:
            base = fallback
        if not base[0].isalpha():
            base = f"q_{base}"
        base = base[:40].rstrip("_")
        key, number = base, 1
        while key in self.used:
            number += 1
            suffix = f"_{number}"
            key = base[: 40 - len(suffix)].rstrip("_") + suffix
        assert KEY_PATTERN.fullmatch(key), key
        self.used.add(key)
        return key


def choice_key(source: str, used: set[str]) -> str:
    """A choice or row key (letters, digits, '_' and '-', at most 40) unique within ``used``."""
    base = re.sub(r"[^A-Za-z0-9_\-]+", "_", source).strip("_")[:40] or "c"
    key, number = base, 1
    while key in used:
        number += 1
        suffix = f"_{number}"
        key = base[: 40 - len(suffix)] + suffix
    used.add(key)
    return key
