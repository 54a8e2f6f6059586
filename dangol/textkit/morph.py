"""Korean morphological analysis with kiwipiepy, loaded lazily once per process.

The analyser is the slowest and largest part of the text pipeline (about 250 MB
resident and a few hundred microseconds per short comment), so a single
instance is shared by every caller and batches are passed to
``Kiwi.tokenize`` as one iterable, which lets Kiwi pipeline the work.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = [
    "KiwiSettings",
    "Morpheme",
    "configure",
    "get_kiwi",
    "morphemes",
    "morphemes_many",
    "tokenize_raw",
]


class Morpheme(NamedTuple):
    """One morpheme: surface form, base part-of-speech tag and character span.

    A named tuple rather than a dataclass because tens of thousands are built
    per second and tuple construction is several times cheaper.
    """

    form: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True)
class KiwiSettings:
    """How the shared Kiwi instance is built.

    The Wikipedia/WikiData proper-noun dictionaries are off by default: they add
    about 250 MB of resident memory and barely change sentiment, themes or
    keywords on customer comments. ``cutoff_threshold`` trades beam width for
    speed; the shipped sentiment models were trained with the value below, so
    change it only together with a retrained model.
    """

    num_workers: int = 1
    load_default_dict: bool = False
    load_multi_dict: bool = False
    load_typo_dict: bool = True
    cutoff_threshold: float = 3.0


_lock = threading.Lock()
_settings = KiwiSettings()
_kiwi: Any = None
_config: Any = None


def configure(settings: KiwiSettings) -> None:
    """Replace the analyser settings; the instance is rebuilt on next use."""
    global _settings, _kiwi, _config
    with _lock:
        _settings = settings
        _kiwi = None
        _config = None


def get_kiwi() -> Any:
    """Return the shared, fully initialised ``kiwipiepy.Kiwi`` instance."""
    global _kiwi, _config
    if _kiwi is not None:
        return _kiwi
    with _lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi, KiwiConfig

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                kiwi = Kiwi(
                    num_workers=_settings.num_workers,
                    load_default_dict=_settings.load_default_dict,
                    load_multi_dict=_settings.load_multi_dict,
                    load_typo_dict=_settings.load_typo_dict,
                )
            _config = KiwiConfig(cutoff_threshold=_settings.cutoff_threshold)
            # Kiwi initialises lazily; analysing an empty string forces the
            # model load here instead of inside the first timed batch.
            kiwi.tokenize("", override_config=_config)
            _kiwi = kiwi
    return _kiwi


def _convert(tokens: Sequence[Any]) -> list[Morpheme]:
    out: list[Morpheme] = []
    append = out.append
    # tuple.__new__ skips the NamedTuple constructor's Python-level wrapper.
    new = tuple.__new__
    for tok in tokens:
        tag: str = tok.tag
        if "-" in tag:
            # "VA-I"/"VV-R" mark (ir)regular conjugation, which is noise for
            # sentiment and keywords.
            tag = tag.split("-", 1)[0]
        start: int = tok.start
        append(new(Morpheme, (tok.form, tag, start, start + tok.len)))
    return out


def morphemes(text: str) -> list[Morpheme]:
    """Analyse one text into morphemes."""
    kiwi = get_kiwi()
    if not text.strip():
        return []
    return _convert(kiwi.tokenize(text, override_config=_config))


def morphemes_many(texts: Iterable[str]) -> Iterator[list[Morpheme]]:
    """Analyse many texts, yielding one morpheme list per text in order.

    Blank texts are skipped inside Kiwi (it returns nothing useful for them)
    but still yield an empty list, so the output lines up with the input.
    """
    kiwi = get_kiwi()
    batch = list(texts)
    work = [t for t in batch if t.strip()]
    results = iter(kiwi.tokenize(work, override_config=_config)) if work else iter(())
    for text in batch:
        yield _convert(next(results)) if text.strip() else []


def tokenize_raw(texts: Sequence[str]) -> list[Any]:
    """Kiwi's own tokens for many texts, with textkit's settings (a benchmark baseline)."""
    kiwi = get_kiwi()
    return list(kiwi.tokenize(texts, override_config=_config))
