"""Hashed feature extraction."""

import numpy as np
import pytest

from dangol.textkit.features import FeatureSpec, featurize, key_hash


def test_key_hash_is_stable_across_processes() -> None:
    # Pinned values: the shipped models depend on them, and Python's own str
    # hash is salted per process.
    assert key_hash("배송/NNG") == 12524813491915435088
    assert key_hash("a") == 7532561068363071043


def test_featurize_counts_repeats_and_normalises_per_unit() -> None:
    spec = FeatureSpec(bits=16, char_ngrams=(1, 2))
    batch = featurize(["aa", "", "ab"], [["x", "x"], [], ["y"]], [[], [], ["~y"]], spec)
    assert batch.n_units == 3
    counts = np.bincount(batch.unit, minlength=3)
    # " aa ": a, a, " a", "aa", "a "; the key x twice and the bigram x x; "" has nothing.
    assert counts.tolist()[:2] == [8, 0]
    assert batch.scale[1] == 0.0
    assert np.allclose(batch.scale[[0, 2]], 1 / np.sqrt(counts[[0, 2]]))
    assert batch.bucket.max() < 1 << 16
    dense = np.zeros((3, 1 << 16))
    np.add.at(dense, (batch.unit, batch.bucket), batch.values())
    assert dense[0].max() == pytest.approx(2 / np.sqrt(8))  # "a" and the key x occur twice


def test_same_text_gives_same_features_in_any_batch() -> None:
    spec = FeatureSpec(bits=18, char_ngrams=(1, 2, 3), despaced_ngrams=(2, 3))
    alone = featurize(["배송 빨라요"], [["배송/NNG", "빠르/VA"]], [[]], spec)
    mixed = featurize(
        ["다른 글", "배송 빨라요"], [["다르/VA"], ["배송/NNG", "빠르/VA"]], [[], []], spec
    )
    assert alone.bucket.tolist() == mixed.bucket[mixed.unit == 1].tolist()


def test_dot_matches_a_dense_product() -> None:
    spec = FeatureSpec(bits=12, char_ngrams=(2,))
    batch = featurize(["hello", "world"], [["a"], ["b"]], [[], []], spec)
    w = np.random.default_rng(0).normal(size=1 << 12)
    dense = np.zeros((2, 1 << 12))
    np.add.at(dense, (batch.unit, batch.bucket), batch.values())
    assert np.allclose(batch.dot(w), dense @ w)
