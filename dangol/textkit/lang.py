"""Text clean-up and language identification (ko / en / other).

Identification is by script: customer comments are short, and a Hangul
syllable settles the question faster and more reliably than any n-gram
profile. Latin-script text is English unless it carries the diacritics or
function words of another Latin-script language.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Language", "clean_text", "detect_language", "has_content", "sanitize"]


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a literal block (keeps long word lists readable)."""
    return text.split()


Language = Literal["ko", "en", "other"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
# Three or more repeats of a non-digit collapse to two: ㅋㅋㅋㅋㅋ, !!!!!, 너무너무
# keep their flavour while sharing features with the shorter forms.
_REPEAT = re.compile(r"(\D)\1{2,}")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2000-\u200b\u3000]+")
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_HANGUL_ANY = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(
    r"[\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u0e00-\u0e7f"
    r"\u3040-\u30ff\u4e00-\u9fff\uf900-\ufaff]"
)
_WORD = re.compile(r"[a-z]+")
_ENGLISH_WORDS = frozenset(
    _words(
        """
        the a an and is was are were it this that i you my very not to of for in on with but good
        great bad love nice fast slow too so item product service staff delivery
        """
    )
)
_FOREIGN_WORDS = frozenset(
    # Frequent Spanish, French, German, Italian, Portuguese, Dutch, Indonesian words
    # that are not also English words.
    _words(
        """
        el la los las es muy pero que y con por para del una producto bueno le les est tres très et
        pas avec pour une des du je ce cette bien der die das und ist nicht sehr mit ein eine ich
        sie gut il di che non per molto sono della ottimo não com uma muito bom ótimo het een niet
        zeer goed yang dan tidak ini itu dengan sangat bagus
        """
    )
)


def sanitize(text: str) -> str:
    """Make arbitrary input safe to store and print, changing as little as possible.

    Lone surrogates (from undecodable bytes) become "?" and control characters
    other than tab and newline become spaces.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text)


def clean_text(text: str, sanitized: bool = False) -> str:
    """Make text uniform for analysis.

    On top of :func:`sanitize` (skipped when ``sanitized`` says it already
    ran), long character repeats shrink to two and whitespace runs collapse
    to one space.
    """
    if not sanitized:
        text = sanitize(text)
    return _SPACES.sub(" ", _REPEAT.sub(r"\1\1", text)).strip()


def has_content(text: str) -> bool:
    """Whether the text has a Hangul syllable or a Latin/other letter to analyse.

    Emoji-only, punctuation-only and jamo-only text (ㅋㅋㅋㅋ, ㅠㅠ) does not:
    such comments get a neutral result instead of a guess.
    """
    return bool(_HANGUL_SYLLABLE.search(text) or _LATIN.search(text) or _OTHER_LETTER.search(text))


def detect_language(text: str) -> Language:
    """Return ``"ko"``, ``"en"`` or ``"other"`` for a text.

    Korean when Hangul makes up at least a fifth of the letters (mixed comments
    such as "배송 fast 좋아요" are Korean, and jamo-only laughter ㅋㅋ counts as
    Korean); English when Latin letters dominate and foreign function words do
    not outnumber English ones; otherwise ``"other"`` (including text without
    letters).
    """
    sample = text[:2000]
    hangul = len(_HANGUL_ANY.findall(sample))
    latin = len(_LATIN.findall(sample))
    other = len(_OTHER_LETTER.findall(sample))
    letters = hangul + latin + other
    if letters == 0:
        return "other"
    if hangul >= 0.2 * letters:
        return "ko"
    if latin >= 0.6 * letters:
        words = _WORD.findall(sample.lower())
        english = sum(1 for w in words if w in _ENGLISH_WORDS)
        foreign = sum(1 for w in words if w in _FOREIGN_WORDS)
        if foreign > english or (other and foreign >= english and foreign > 0):
            return "other"
        return "en"
    return "other"
