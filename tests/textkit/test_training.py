"""Training smoke test on a few thousand reviews of the shared data."""

from pathlib import Path

import numpy as np
import pytest

from dangol.textkit import model as model_module
from dangol.textkit.pipeline import analyze_many
from dangol.textkit.training import fit_platt, load_amazon, load_nsmc, split_of, train
from tests.conftest import shared_data


def test_split_is_deterministic_and_proportional() -> None:
    splits = [split_of(str(i), 7, 4) for i in range(20000)]
    assert splits == [split_of(str(i), 7, 4) for i in range(20000)]
    held = splits.count("heldout") / len(splits)
    assert 0.06 < held < 0.08


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(0.5 * z + 0.3)))).astype(float)
    a, b = fit_platt(z, y)
    assert a == pytest.approx(0.5, abs=0.05) and b == pytest.approx(0.3, abs=0.06)


def test_training_smoke_korean(tmp_path: Path) -> None:
    """The only textkit test that needs the shared data (see tests.conftest.shared_data)."""
    data = shared_data("nsmc", "ratings_train.txt")
    assert {e.label for e in load_nsmc(data, limit=500)} == {0, 1}
    en = load_amazon(shared_data("amazon-multidomain"), limit=400)
    assert {e.label for e in en} == {0, 1} and any(e.aux for e in en)
    messages: list[str] = []
    report = train(
        "ko", tmp_path, data, limit=3000, log=messages.append, max_iter=60, network=False
    )
    assert report.path == tmp_path / "sentiment_ko.npz" and report.path.exists()
    assert report.n_heldout > 100
    assert report.heldout_accuracy > 0.7
    assert messages[-1].startswith("saved ")
    model_module.set_model_dir(tmp_path)
    try:
        a, b = analyze_many(["정말 재밌고 감동적이에요", "최악 시간 낭비"])
        assert a.sentiment.score > b.sentiment.score
    finally:
        model_module.set_model_dir(None)


def test_training_smoke_korean_with_network(tmp_path: Path) -> None:
    """The morpheme network is trained, blended, saved and used by the pipeline."""
    pytest.importorskip("torch")
    from dangol.textkit.training_neural import NeuralConfig

    data = shared_data("nsmc", "ratings_train.txt")
    messages: list[str] = []
    report = train(
        "ko",
        tmp_path,
        data,
        limit=3000,
        log=messages.append,
        max_iter=60,
        network_config=NeuralConfig(dim=16, filters=16, epochs=2, dictionary_morphemes=0),
    )
    assert any(m.startswith("network weight") for m in messages)
    saved = model_module.SentimentModel.load(report.path)
    assert saved.network is not None and 0.0 <= saved.network_weight <= 0.8
    model_module.set_model_dir(tmp_path)
    try:
        a, b = analyze_many(["정말 재밌고 감동적이에요", "최악 시간 낭비"])
        assert a.sentiment.score > b.sentiment.score
    finally:
        model_module.set_model_dir(None)
