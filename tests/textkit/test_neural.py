"""The morpheme network: batched numpy inference against a direct computation."""

from pathlib import Path

import numpy as np
import pytest

from dangol.textkit.features import FeatureSpec
from dangol.textkit.model import SentimentModel
from dangol.textkit.neural import UNK, MorphemeCNN


def _random_network(seed: int = 0, dim: int = 6, filters: int = 4) -> MorphemeCNN:
    rng = np.random.default_rng(seed)
    keys = ["<pad>", "<unk>", "좋/VA", "나쁘/VA", "배송/NNG", "ㅠㅠ/SW", "!/SF"]
    table = rng.normal(size=(len(keys), dim))
    table[0] = 0
    widths = (1, 2, 3)
    conv = [rng.normal(size=(w, dim, filters)) for w in widths]
    bias = [rng.normal(size=filters) for _ in widths]
    return MorphemeCNN.from_float(
        keys, table, widths, conv, bias, rng.normal(size=3 * filters), 0.2
    )


def _direct(net: MorphemeCNN, keys: list[str]) -> float:
    """One unit, window by window, with the dequantised table (no batching tricks)."""
    ids = net.ids(keys)
    if not ids:
        return 0.0
    x = net.table[ids].astype(np.float64) * net.row_scale[ids, None]
    f = net.filters
    pooled = []
    col = 0
    for i, w in enumerate(net.widths):
        blocks = [net.conv[:, col + j * f : col + (j + 1) * f] for j in range(w)]
        col += w * f
        outs = []
        for end in range(len(ids)):
            acc = net.conv_bias[i * f : (i + 1) * f].astype(np.float64).copy()
            for j in range(w):
                if end - j >= 0:
                    acc += x[end - j] @ blocks[j]
            outs.append(np.maximum(acc, 0.0))
        pooled.append(np.max(outs, axis=0))
    return float(np.concatenate(pooled) @ net.out + net.out_bias)


def test_batched_logits_match_a_direct_computation_per_unit() -> None:
    net = _random_network()
    units = [
        ["좋/VA"],
        [],
        ["배송/NNG", "나쁘/VA", "ㅠㅠ/SW"],
        ["모르는/NNG", "좋/VA", "!/SF", "!/SF", "배송/NNG"],
        ["나쁘/VA", "나쁘/VA"],
    ]
    got = net.logits(units)
    assert got[1] == 0.0
    for unit, value in zip(units, got, strict=True):
        assert value == pytest.approx(_direct(net, unit), abs=1e-4)
    # A unit's score does not depend on its neighbours in the batch.
    alone = [net.logits([u])[0] for u in units]
    assert np.allclose(got, alone, atol=1e-5)


def test_precomputed_frequent_rows_give_the_same_logits(monkeypatch: pytest.MonkeyPatch) -> None:
    from dangol.textkit import neural

    units = [["배송/NNG", "나쁘/VA", "ㅠㅠ/SW"], ["좋/VA", "!/SF", "낯선/NNG"], ["!/SF"]]
    all_hot = _random_network(seed=7).logits(units)
    monkeypatch.setattr(neural, "HOT_ROWS", 3)
    mixed = _random_network(seed=7)
    assert len(mixed.hot) == 3
    assert np.allclose(mixed.logits(units), all_hot, atol=1e-5)
    for unit, value in zip(units, mixed.logits(units), strict=True):
        assert value == pytest.approx(_direct(mixed, unit), abs=1e-4)


def test_single_width_network_needs_no_padding_between_units() -> None:
    rng = np.random.default_rng(9)
    keys = ["<pad>", "<unk>", "a/NNG", "b/NNG"]
    table = rng.normal(size=(4, 5))
    table[0] = 0
    net = MorphemeCNN.from_float(
        keys, table, (1,), [rng.normal(size=(1, 5, 3))], [rng.normal(size=3)], np.ones(3), 0.0
    )
    units = [["a/NNG", "b/NNG"], ["b/NNG"], ["a/NNG"]]
    got = net.logits(units)
    for unit, value in zip(units, got, strict=True):
        assert value == pytest.approx(_direct(net, unit), abs=1e-4)


def test_unknown_morphemes_share_one_row() -> None:
    net = _random_network()
    assert net.ids(["좋/VA", "처음보는/NNG", "또모르는/VV"]) == [2, UNK, UNK]
    assert net.logits([["처음보는/NNG"]])[0] == pytest.approx(net.logits([["또모르는/VV"]])[0])


def test_quantised_table_stays_close_to_the_float_one() -> None:
    rng = np.random.default_rng(3)
    table = rng.normal(size=(50, 16))
    net = MorphemeCNN.from_float(
        [f"k{i}" for i in range(50)],
        table,
        (1,),
        [rng.normal(size=(1, 16, 2))],
        [np.zeros(2)],
        np.ones(2),
        0.0,
    )
    back = net.table.astype(np.float64) * net.row_scale[:, None]
    assert np.max(np.abs(back - table)) <= np.abs(table).max(axis=1).max() / 127 / 2 + 1e-6


def test_model_with_network_saves_loads_and_blends(tmp_path: Path) -> None:
    net = _random_network(seed=4)
    m = SentimentModel.from_weights(
        "ko", FeatureSpec(bits=8), np.zeros(256), 0.5, network=net, network_weight=0.25
    )
    path = tmp_path / "m.npz"
    m.save(path)
    again = SentimentModel.load(path)
    assert again.network is not None and again.network_weight == 0.25
    assert again.network.keys == net.keys and again.network.widths == net.widths
    units = [["좋/VA", "!/SF"], ["나쁘/VA"]]
    raw = np.array([0.5, 0.5])
    expected = 0.75 * raw + 0.25 * net.logits(units)
    assert np.allclose(again.blended_logits(raw, units), expected)
    # Without a network the linear logits pass through unchanged.
    plain = m.with_updates(network=None, network_weight=0.0)
    assert np.array_equal(plain.blended_logits(raw, units), raw)


def test_export_from_pytorch_matches_its_forward_pass() -> None:
    """The weight layout written by training reproduces PyTorch's own forward pass."""
    torch = pytest.importorskip("torch")
    from dangol.textkit.training_neural import NeuralConfig, build_network, export_network

    rng = np.random.default_rng(5)
    vocab = ["<pad>", "<unk>", "좋/VA", "나쁘/VA", "다/EF", "ㅠㅠ/SW", "최고/NNG"]
    pre = rng.normal(size=(len(vocab), 12)).astype(np.float32)
    pre[0] = 0
    config = NeuralConfig(dim=8, filters=5, widths=(1, 2, 3))
    torch.manual_seed(0)
    net = build_network(torch, pre, config)
    with torch.no_grad():
        net.delta.weight.normal_()
        net.delta.weight[0] = 0
    units = [["좋/VA", "다/EF"], ["나쁘/VA", "다/EF", "ㅠㅠ/SW", "최고/NNG"], ["최고/NNG"]]
    exported = export_network(torch, net, vocab, config)
    index = {k: i for i, k in enumerate(vocab)}
    x = np.zeros((len(units), 4), dtype=np.int64)
    for r, u in enumerate(units):
        x[r, : len(u)] = [index[k] for k in u]
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    assert np.allclose(exported.logits(units), expected, atol=0.02)
