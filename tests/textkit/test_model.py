"""Model files: quantisation, save/load and the shipped models."""

from pathlib import Path

import numpy as np

from dangol.textkit.features import FeatureSpec, featurize
from dangol.textkit.model import SentimentModel, load_model, model_path


def test_codebook_quantisation_keeps_small_and_large_weights() -> None:
    rng = np.random.default_rng(1)
    n = 1 << 16
    w = np.where(rng.random(n) < 0.3, rng.standard_t(3, n) * 0.05, 0.0)
    m = SentimentModel.from_weights("xx", FeatureSpec(bits=16), w, 0.1)
    assert np.all(m.weights[w == 0] == 0)
    assert m.weights.max() == w.max() and m.weights.min() == w.min()
    small = (w != 0) & (np.abs(w) < 0.01)
    assert np.median(np.abs(m.weights - w)[small]) < 0.001
    assert np.corrcoef(m.weights, w)[0, 1] > 0.995


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    w = np.linspace(-1, 1, 1 << 10)
    m = SentimentModel.from_weights(
        "xx",
        FeatureSpec(bits=10, char_ngrams=(2,)),
        w,
        0.3,
        platt_a=1.5,
        platt_b=-0.1,
        lexicon_weight=0.7,
        meta={"note": "t"},
    )
    path = tmp_path / "m.npz"
    m.save(path)
    again = SentimentModel.load(path)
    assert again.spec == m.spec and again.meta == {"note": "t"}
    assert (again.platt_a, again.platt_b, again.lexicon_weight) == (1.5, -0.1, 0.7)
    batch = featurize(["abc", "xyz"], [[], []], [[], []], m.spec)
    assert np.allclose(again.raw_logits(batch), m.raw_logits(batch))


def test_shipped_models_are_small_and_documented() -> None:
    for lang in ("ko", "en"):
        path = model_path(lang)
        assert path.exists()
        assert path.stat().st_size < 12 * 2**20
        model = load_model(lang)
        assert model.meta["heldout_accuracy"] > 0.8
        assert model.meta["n_heldout"] > 500
    card = model_path("ko").parent / "MODEL_CARD.md"
    assert "NSMC" in card.read_text("utf-8")
