"""English tokenising, negation scope, clauses and keywords (no external tagger).

English comments go through plain regular expressions: this path has to
handle several thousand comments per second on one core.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "STOPWORDS",
    "Word",
    "clause_spans",
    "feature_keys",
    "keyword_phrases",
    "negated",
    "sentence_spans",
    "tokenize",
]


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a literal block (keeps long word lists readable)."""
    return text.split()


class Word(NamedTuple):
    """A lower-cased token and its character span in the analysed text."""

    form: str
    start: int
    end: int


_TOKEN = re.compile(
    r"[a-z0-9]+(?:['’][a-z]+)*|[:;=8][-'^o]?[()\[\]dpDP/\\|]|<3|[!?.,;]+|[^\sa-z0-9]",
    re.IGNORECASE,
)
_NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "without",
        "hardly",
        "barely",
        "cannot",
        "cant",
        "dont",
        "didnt",
        "doesnt",
        "wasnt",
        "isnt",
        "wont",
        "arent",
        "werent",
        "couldnt",
        "wouldnt",
        "shouldnt",
        "havent",
        "hasnt",
    }
)
_CLAUSE_WORDS = frozenset(
    {
        "but",
        "however",
        "although",
        "though",
        "yet",
        "except",
        "whereas",
        "while",
        "and",
        "unfortunately",
        "otherwise",
    }
)
_PUNCT = frozenset(".,;!?")
STOPWORDS = frozenset(
    _words(
        """
        a about above after again against all am an and any are as at be because been before being
        below between both but by can could did do does doing down during each few for from further
        had has have having he her here hers herself him himself his how i if in into is it its
        itself just me more most my myself no nor not now of off on once only or other our ours
        ourselves out over own same she should so some such than that the their theirs them
        themselves then there these they this those through to too under until up very was we were
        what when where which while who whom why will with would you your yours yourself yourselves
        also really quite much many lot lots get got gets getting go went going come came make made
        one two three first even still ever well back way thing things something anything everything
        bit little new old use used using buy bought purchase purchased order ordered product item
        items review time times day days week weeks month year years good great bad nice love loved
        like liked best worst better worse excellent awesome terrible horrible poor perfect amazing
        happy disappointed ok okay fine definitely totally highly recommend recommended will would
        could might must shall may im ive id dont didnt doesnt wasnt isnt cant wont its thats theres
        us let lets say said though although however yes yeah oh wow please thanks thank
        every took take takes taking taken works working worked work hate hated check checked keep
        keeps kept tried try trying seems seemed seem looks looked look feel feels felt arrived
        minute minutes hour hours months put gave give given sent send tell told asked ask said
        need needed want wanted know knew think thought
        """
    )
)


def tokenize(text: str) -> list[Word]:
    """Lower-cased word, emoticon and punctuation tokens with spans."""
    out: list[Word] = []
    for m in _TOKEN.finditer(text):
        form = m.group().lower()
        if "'" in form or "’" in form:
            # "don't" and "don’t" become "dont": one negator key for every spelling.
            form = form.replace("'", "").replace("’", "")
            if not form:
                continue
        out.append(Word(form, m.start(), m.end()))
    return out


def _is_negator(form: str) -> bool:
    return form in _NEGATORS or (form.endswith("nt") and form[:-2] in _NEG_STEMS)


_NEG_STEMS = frozenset(
    {
        "do",
        "did",
        "does",
        "was",
        "is",
        "wo",
        "are",
        "were",
        "could",
        "would",
        "should",
        "have",
        "has",
        "ca",
        "had",
        "ai",
        "must",
        "need",
    }
)


def negated(words: Sequence[Word]) -> list[bool]:
    """Words inside a negation scope: up to three words after a negator, stopping at
    punctuation or a clause word ("not bad", "didn't fit", "never arrived")."""
    flags = [False] * len(words)
    left = 0
    for i, w in enumerate(words):
        if w.form in _PUNCT or w.form[0] in _PUNCT or w.form in _CLAUSE_WORDS:
            left = 0
        elif _is_negator(w.form):
            left = 3
        elif left:
            flags[i] = True
            left -= 1
    return flags


def feature_keys(words: Sequence[Word]) -> tuple[list[str], list[str]]:
    """Model keys: the words in order, plus negation-marked variants."""
    keys = [w.form for w in words]
    flags = negated(words)
    bag = ["~" + keys[i] for i, f in enumerate(flags) if f]
    return keys, bag


def clause_spans(words: Sequence[Word]) -> list[tuple[int, int]]:
    """Word index ranges of clauses, cut at punctuation and at but/however/and."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, w in enumerate(words):
        if w.form in _CLAUSE_WORDS and i > start:
            spans.append((start, i))
            start = i
        elif w.form[0] in _PUNCT:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(words):
        spans.append((start, len(words)))
    return [s for s in spans if s[1] > s[0]]


_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"')\]]*\s+|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences, cut after . ! ? followed by space, and at newlines."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


def keyword_phrases(words: Sequence[Word]) -> list[str]:
    """Content-word phrases: runs of up to three non-stopword words ("battery life")."""
    out: list[str] = []
    seen: set[str] = set()
    run: list[str] = []

    def flush() -> None:
        if run:
            phrase = " ".join(run)
            if phrase not in seen:
                seen.add(phrase)
                out.append(phrase)
            run.clear()

    for w in words:
        f = w.form
        if len(f) > 2 and f.isalpha() and f not in STOPWORDS and not _is_negator(f):
            if len(run) == 3:
                flush()
            run.append(f)
        else:
            flush()
    flush()
    return out
