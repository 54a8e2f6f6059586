"""Sentence splitting for Korean and English comments.

Korean comments often end sentences without punctuation ("배송 빨라요 옷도
예뻐요"), so Korean text is split where Kiwi finds a final ending (EF) or
sentence punctuation; other text is split after . ! ? and at line breaks.
"""

from __future__ import annotations

from dangol.textkit import english, korean
from dangol.textkit.lang import detect_language, sanitize
from dangol.textkit.morph import morphemes

__all__ = ["split_sentences"]


def split_sentences(text: str) -> list[str]:
    """Split a comment into sentences (stripped, non-empty, in order)."""
    text = sanitize(text)
    if not text.strip():
        return []
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if detect_language(line) == "ko":
            spans = korean.sentence_spans(morphemes(line))
        else:
            spans = english.sentence_spans(line)
        out.extend(s for a, b in spans if (s := line[a:b].strip()))
    return out
