"""Training the morpheme network blended into the Korean sentiment model.

Needs PyTorch (``pip install 'dangol[train]'``), imported only here; the
shipped network runs with numpy alone (:mod:`dangol.textkit.neural`).

1. Word vectors. kiwipiepy's CoNg language model scores the cosine similarity
   of any two morphemes (``Kiwi.morpheme_similarity``). The similarities of
   every morpheme to a fixed set of anchor morphemes determine its unit vector
   up to a rotation that is the same for all of them (a Nyström
   reconstruction; exact here because the anchors outnumber the 256
   dimensions). Nothing is downloaded: the language model ships in
   kiwipiepy-model from PyPI.
2. Vocabulary: every morpheme of Kiwi's dictionary plus every key seen at
   least twice in the training split.
3. Network: a vector per morpheme = a learned projection of its CoNg vector
   plus a learned correction (zero at the start, so unseen words keep their
   projected CoNg meaning); convolutions of width 1-3 with ReLU, max-pooling,
   one output unit; Adam, binary cross-entropy, a few epochs.
4. The trained vectors are computed once for the whole vocabulary and stored
   quantised, so inference needs neither the CoNg vectors nor PyTorch.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dangol.textkit import korean, morph
from dangol.textkit.neural import PAD, UNK, MorphemeCNN

__all__ = [
    "NeuralConfig",
    "build_network",
    "cong_vectors",
    "export_network",
    "kiwi_vocabulary",
    "morpheme_keys",
    "train_network",
]

# CoNg vectors have 256 dimensions; 512 anchors leave room for the few whose
# vectors are nearly parallel.
ANCHORS = 512
ANCHOR_SEED = 1


@dataclass(frozen=True)
class NeuralConfig:
    """Hyper-parameters chosen on the calibration split (see MODEL_CARD.md)."""

    dim: int = 96
    filters: int = 128
    widths: tuple[int, ...] = (1, 2, 3)
    epochs: int = 2
    batch: int = 64
    lr: float = 1e-3
    dropout: float = 0.5
    embedding_dropout: float = 0.2
    min_count: int = 2
    max_tokens: int = 80
    seed: int = 0
    # Morphemes of Kiwi's dictionary (ids below this, which Kiwi orders by
    # frequency) kept even when training never saw them: their vectors are
    # the projected CoNg ones, so customer words absent from film reviews
    # still mean something. 0 keeps only what training saw.
    dictionary_morphemes: int = 30000


def _require_torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "training the Korean network needs PyTorch: pip install 'dangol[train]' "
            "(or train the linear model alone with --no-network)"
        ) from exc
    return torch


def _key(form: str, tag: str) -> str:
    tag = tag.split("-", 1)[0]
    return form + "/" + tag if tag != "SL" else form.lower() + "/SL"


def kiwi_vocabulary(kiwi: Any) -> dict[str, int]:
    """``form/TAG`` key of every morpheme of Kiwi's language model, with its id.

    The model's vocabulary is the ids for which similarities are defined; it
    ends where ``morpheme_similarity`` starts returning NaN.
    """
    lo, hi = 0, 1 << 20
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            ok = not math.isnan(kiwi.morpheme_similarity(0, mid))
        except (ValueError, KeyError, IndexError):
            ok = False
        lo, hi = (mid, hi) if ok else (lo, mid)
    out: dict[str, int] = {}
    for i in range(lo + 1):
        tok = kiwi.morpheme(i)
        out.setdefault(_key(tok.form, tok.tag), i)
    return out


def morpheme_keys(texts: Sequence[str]) -> tuple[list[list[str]], dict[str, int]]:
    """Morpheme keys per text (as the pipeline builds them) and the Kiwi id of each key.

    The ids let keys outside the dictionary (allomorphs such as 는/JX, symbols)
    find their CoNg vector.
    """
    out: list[list[str]] = []
    ids: dict[str, int] = {}
    for start in range(0, len(texts), 5000):
        part = texts[start : start + 5000]
        work = [t if t.strip() else " " for t in part]
        for text, tokens in zip(part, morph.tokenize_raw(work), strict=True):
            if not text.strip():
                out.append([])
                continue
            keys = korean.keys_of(morph._convert(tokens))
            for key, tok in zip(keys, tokens, strict=True):
                ids.setdefault(key, tok.id)
            out.append(keys)
    return out, ids


def cong_vectors(
    keys: Sequence[str], key_ids: dict[str, int], log: Callable[[str], None] = print
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Unit CoNg vectors for ``keys`` (rows of zeros where the model has none)."""
    kiwi = morph.get_kiwi()
    sim = kiwi.morpheme_similarity
    base = kiwi_vocabulary(kiwi)
    size = max(base.values()) + 1
    rng = np.random.default_rng(ANCHOR_SEED)
    anchors = [int(a) for a in rng.choice(size, ANCHORS, replace=False)]
    s_aa = np.array([[sim(a, b) for b in anchors] for a in anchors])
    s_aa = np.nan_to_num((s_aa + s_aa.T) / 2)
    eig, vecs = np.linalg.eigh(s_aa)
    keep = np.argsort(eig)[::-1][:256]
    keep = keep[eig[keep] > 1e-6]
    # A vector from its anchor similarities s: v = s @ U / sqrt(λ).
    recover = vecs[:, keep] / np.sqrt(eig[keep])
    out = np.zeros((len(keys), len(keep)), dtype=np.float32)
    found = np.zeros(len(keys), dtype=bool)
    log(f"network: CoNg vectors for {len(keys)} morphemes")
    for row, key in enumerate(keys):
        form, tag = key.rsplit("/", 1) if "/" in key else (key, "")
        queries: list[Any] = []
        if key in base:
            queries.append(base[key])
        elif key in key_ids:
            queries.append(key_ids[key])
        queries += [(form, tag), (form, tag + "-I"), (form, tag + "-R")]
        for q in queries:
            try:
                s = np.array([sim(q, a) for a in anchors])
            except (ValueError, KeyError, IndexError):
                continue  # not a morpheme of the language model, or ambiguous
            if not np.isnan(s).any():
                out[row] = s @ recover
                found[row] = True
                break
    return out, found


def build_network(torch: Any, pre: npt.NDArray[np.float32], config: NeuralConfig) -> Any:
    """The PyTorch module: fixed CoNg vectors, projection + correction, convolutions."""
    nn = torch.nn
    functional = torch.nn.functional

    class Net(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.pre = nn.Embedding.from_pretrained(
                torch.from_numpy(pre), freeze=True, padding_idx=PAD
            )
            self.proj = nn.Linear(pre.shape[1], config.dim)
            self.delta = nn.Embedding(len(pre), config.dim, padding_idx=PAD)
            nn.init.zeros_(self.delta.weight)
            self.edrop = nn.Dropout(config.embedding_dropout)
            self.convs = nn.ModuleList(
                [nn.Conv1d(config.dim, config.filters, w, padding=w - 1) for w in config.widths]
            )
            self.drop = nn.Dropout(config.dropout)
            self.out = nn.Linear(config.filters * len(config.widths), 1)

        def vectors(self, x: Any) -> Any:
            return self.proj(self.pre(x)) + self.delta(x)

        def forward(self, x: Any) -> Any:
            mask = (x != PAD).unsqueeze(1).float()
            h = self.edrop(self.vectors(x)).transpose(1, 2)
            pooled = []
            for conv in self.convs:
                a = functional.relu(conv(h))[:, :, : x.shape[1]]
                pooled.append((a * mask - (1 - mask) * 1e4).max(dim=2).values)
            return self.out(self.drop(torch.cat(pooled, 1))).squeeze(1)

    return Net()


def train_network(
    keys: Sequence[Sequence[str]],
    labels: npt.NDArray[np.floating],
    train_rows: npt.NDArray[np.bool_],
    key_ids: dict[str, int],
    config: NeuralConfig = NeuralConfig(),
    log: Callable[[str], None] = print,
) -> MorphemeCNN:
    """Fit the network on ``keys[train_rows]`` and return it in numpy form."""
    torch = _require_torch()
    functional = torch.nn.functional
    torch.manual_seed(config.seed)

    counts = Counter(k for ks, t in zip(keys, train_rows, strict=True) if t for k in ks)
    kiwi = morph.get_kiwi()
    base = kiwi_vocabulary(kiwi)
    vocab = ["<pad>", "<unk>"]
    # Most frequent first: inference precomputes the filters' response to the
    # first rows (neural.HOT_ROWS).
    vocab += sorted(
        (k for k, c in counts.items() if c >= config.min_count), key=lambda k: (-counts[k], k)
    )
    seen = set(vocab)
    vocab += sorted(k for k, i in base.items() if k not in seen and i < config.dictionary_morphemes)
    assert vocab.index("<pad>") == PAD and vocab.index("<unk>") == UNK
    vectors, found = cong_vectors(vocab[2:], key_ids, log)
    # Centre and renormalise: CoNg vectors share a large common direction.
    vectors[found] -= vectors[found].mean(axis=0)
    pre = np.zeros((len(vocab), vectors.shape[1]), dtype=np.float32)
    pre[2:] = vectors
    norms = np.linalg.norm(pre, axis=1, keepdims=True)
    pre = np.where(norms > 1e-6, pre / np.maximum(norms, 1e-6), 0.0).astype(np.float32)
    log(
        f"network: {len(vocab)} morphemes ({int(found.sum())} with CoNg vectors), "
        f"{int(train_rows.sum())} training reviews"
    )
    index = {k: i for i, k in enumerate(vocab)}
    ids = [
        np.array([index.get(k, UNK) for k in ks[: config.max_tokens]], dtype=np.int64)
        for ks in keys
    ]

    net = build_network(torch, pre, config)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=config.lr)
    y = torch.from_numpy(np.asarray(labels, dtype=np.float32))
    rows = np.flatnonzero(train_rows & np.array([len(i) > 0 for i in ids]))
    rng = np.random.default_rng(config.seed)

    def batch_of(idx: Sequence[int]) -> Any:
        width = max(3, max(len(ids[i]) for i in idx))
        x = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            x[r, : len(ids[i])] = ids[i]
        return torch.from_numpy(x)

    for epoch in range(config.epochs):
        perm = rng.permutation(rows)
        total, seen_n = 0.0, 0
        # Batches of similar length (sorted within chunks of 100 batches) waste
        # little on padding; their order is shuffled.
        for c0 in range(0, len(perm), config.batch * 100):
            chunk = sorted(perm[c0 : c0 + config.batch * 100], key=lambda i: len(ids[i]))
            batches = [chunk[i : i + config.batch] for i in range(0, len(chunk), config.batch)]
            rng.shuffle(batches)
            for b in batches:
                opt.zero_grad()
                loss = functional.binary_cross_entropy_with_logits(net(batch_of(b)), y[b])
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(b)
                seen_n += len(b)
        log(
            f"network: epoch {epoch + 1}/{config.epochs}, "
            f"training loss {total / max(seen_n, 1):.4f}"
        )

    return export_network(torch, net, vocab, config)


def export_network(torch: Any, net: Any, vocab: Sequence[str], config: NeuralConfig) -> MorphemeCNN:
    """The numpy form of a trained network: final morpheme vectors, filters, output."""
    net.eval()
    with torch.no_grad():
        table = net.vectors(torch.arange(len(vocab))).numpy()
        table[PAD] = 0.0
        convs = []
        for conv in net.convs:
            w = conv.weight.numpy()  # (filters, dim, width); tap k reads position end-(width-1)+k
            convs.append(np.stack([w[:, :, w.shape[2] - 1 - j].T for j in range(w.shape[2])]))
        return MorphemeCNN.from_float(
            vocab,
            table,
            config.widths,
            convs,
            [conv.bias.numpy() for conv in net.convs],
            net.out.weight.numpy().ravel(),
            float(net.out.bias.numpy()[0]),
        )
