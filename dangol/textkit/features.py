"""Hashed sparse features shared by training and inference.

Every feature (a character n-gram, a morpheme, a morpheme bigram, a negated
predicate, an English word or word bigram) is reduced to a 64-bit hash and then
to one of ``2**bits`` buckets. Hashing keeps the shipped model to a weight
vector (no vocabulary file) and lets a whole batch be featurised with a handful
of numpy operations; only the per-token key lookups run in Python.

The hash is built from ``zlib.crc32`` and fixed integer arithmetic, never from
Python's ``hash``, whose value for strings changes between processes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "FeatureSpec",
    "SparseBatch",
    "featurize",
    "key_hash",
]

U64 = np.uint64
_MIX = U64(0x9E3779B97F4A7C15)
_BIGRAM = U64(0xC2B2AE3D27D4EB4F)
_CHAR_BASE = U64(0x100000001B3)
_CHAR_SEED = U64(0xCBF29CE484222325)
_MASK32 = 0xFFFFFFFF
_SEP = "\x00"
_DESPACED_SALT = 0x5EED

_hash_cache: dict[str, int] = {}
_HASH_CACHE_LIMIT = 400_000


def key_hash(key: str) -> int:
    """Stable 64-bit hash of a feature key (memoised, bounded cache)."""
    h = _hash_cache.get(key)
    if h is None:
        raw = key.encode("utf-8", "surrogatepass")
        h = zlib.crc32(raw) | ((zlib.crc32(raw, 0x5BD1E995) & _MASK32) << 32)
        if len(_hash_cache) >= _HASH_CACHE_LIMIT:
            # A crude reset keeps memory bounded on endless streams of new
            # tokens; the hot keys are re-learned within a few batches.
            _hash_cache.clear()
        _hash_cache[key] = h
    return h


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses; saved with the model so inference matches."""

    bits: int = 20
    char_ngrams: tuple[int, ...] = (1, 2, 3)
    key_bigrams: bool = True
    # Character n-grams of the text with spaces removed: Korean spacing in
    # comments is erratic ("너무재밌어요" / "너무 재밌어요"), and these n-grams
    # see the same letters whichever way a word was spaced.
    despaced_ngrams: tuple[int, ...] = ()

    def to_json(self) -> dict[str, object]:
        """Serialisable form, stored next to the weights."""
        return {
            "bits": self.bits,
            "char_ngrams": list(self.char_ngrams),
            "key_bigrams": self.key_bigrams,
            "despaced_ngrams": list(self.despaced_ngrams),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FeatureSpec:
        """Inverse of :meth:`to_json`."""
        grams = data.get("char_ngrams", [1, 2, 3])
        assert isinstance(grams, list)
        despaced = data.get("despaced_ngrams", [])
        assert isinstance(despaced, list)
        bits = data.get("bits", 20)
        assert isinstance(bits, int)
        return cls(
            bits=bits,
            char_ngrams=tuple(int(g) for g in grams),
            key_bigrams=bool(data.get("key_bigrams", True)),
            despaced_ngrams=tuple(int(g) for g in despaced),
        )


@dataclass(frozen=True)
class SparseBatch:
    """Feature counts of a batch of units, scaled per unit.

    ``unit`` and ``bucket`` list one entry per feature occurrence, repeats
    included (a repeated n-gram counts twice, as a term frequency); ``scale``
    is ``1/sqrt(number of occurrences)`` per unit (0 for a unit without
    features). Repeats are not collapsed because that needs a sort of the
    whole batch, which cost more than everything else in featurisation.
    """

    n_units: int
    unit: npt.NDArray[np.int64]
    bucket: npt.NDArray[np.int64]
    scale: npt.NDArray[np.float64]

    def dot(self, weights: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """Per-unit dot product with a weight vector indexed by bucket."""
        sums = np.bincount(self.unit, weights=weights[self.bucket], minlength=self.n_units)
        return sums * self.scale

    def values(self) -> npt.NDArray[np.float64]:
        """Value of each (unit, bucket) entry; a CSR matrix built from them sums repeats."""
        out: npt.NDArray[np.float64] = self.scale[self.unit]
        return out


def _char_hashes(
    texts: Sequence[str], grams: tuple[int, ...], salt: int = 0, pad: bool = True
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """Hashes of all character n-grams of the (space-padded) texts, with unit ids."""
    padded = [f" {t} " for t in texts] if pad else list(texts)
    joined = _SEP.join(padded)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = cps.astype(U64)
    lengths = np.fromiter((len(p) + 1 for p in padded), dtype=np.int64, count=len(padded))
    unit_of_char = np.repeat(np.arange(len(padded), dtype=np.int64), lengths)[: len(cps)]
    is_sep = cps == 0
    is_space = cps == 32
    units: list[npt.NDArray[np.int64]] = []
    hashes: list[npt.NDArray[np.uint64]] = []
    with np.errstate(over="ignore"):
        for n in grams:
            m = len(cps) - n + 1
            if m <= 0:
                continue
            h = np.full(m, _CHAR_SEED + U64(n) + U64(salt), dtype=U64)
            bad = np.zeros(m, dtype=bool)
            blank = np.ones(m, dtype=bool)
            for j in range(n):
                h = h * _CHAR_BASE + cps[j : j + m]
                bad |= is_sep[j : j + m]
                blank &= is_space[j : j + m]
            # An n-gram of spaces only carries nothing but the padding itself.
            keep = ~(bad | blank)
            units.append(unit_of_char[:m][keep])
            hashes.append(h[keep])
    if not units:
        return np.zeros(0, np.int64), np.zeros(0, U64)
    return np.concatenate(units), np.concatenate(hashes)


def _key_hashes(
    keys: Sequence[Sequence[str]], bigrams: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """Hashes of token keys (and, if asked, adjacent key pairs), with unit ids."""
    counts = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, U64)
    cached = _hash_cache.get
    flat = np.fromiter(
        (cached(k) or key_hash(k) for unit_keys in keys for k in unit_keys), dtype=U64, count=total
    )
    unit = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
    if not bigrams or total < 2:
        return unit, flat
    same = unit[:-1] == unit[1:]
    with np.errstate(over="ignore"):
        pair = (flat[:-1] * _BIGRAM) ^ (flat[1:] + _MIX)
    return np.concatenate([unit, unit[:-1][same]]), np.concatenate([flat, pair[same]])


def featurize(
    texts: Sequence[str],
    keys: Sequence[Sequence[str]],
    bags: Sequence[Sequence[str]],
    spec: FeatureSpec,
) -> SparseBatch:
    """Featurise a batch of units.

    ``texts`` feed the character n-grams (already normalised by the caller);
    ``keys`` are the token keys of each unit (morphemes as ``form/TAG`` or
    English words) in order, so that adjacent pairs become bigram features;
    ``bags`` are extra order-free keys such as negation-marked predicates.
    """
    n = len(texts)
    empty = (np.zeros(0, np.int64), np.zeros(0, U64))
    u1, h1 = _char_hashes(texts, spec.char_ngrams) if spec.char_ngrams else empty
    u2, h2 = _key_hashes(keys, spec.key_bigrams)
    u3, h3 = _key_hashes(bags, False)
    u4, h4 = empty
    if spec.despaced_ngrams:
        u4, h4 = _char_hashes(
            [t.replace(" ", "") for t in texts],
            spec.despaced_ngrams,
            salt=_DESPACED_SALT,
            pad=False,
        )
    unit = np.concatenate([u1, u2, u3, u4])
    h = np.concatenate([h1, h2, h3, h4])
    shift = U64(64 - spec.bits)
    with np.errstate(over="ignore"):
        bucket = ((h * _MIX) >> shift).astype(np.int64)
    counts = np.bincount(unit, minlength=n).astype(np.float64)
    scale = np.zeros(n, dtype=np.float64)
    nz = counts > 0
    scale[nz] = 1.0 / np.sqrt(counts[nz])
    return SparseBatch(n, unit, bucket, scale)
