"""Training the shipped sentiment models (``dangol text train``).

Korean: NSMC ``ratings_train.txt`` (Naver movie reviews). English: the
Blitzer et al. multi-domain Amazon reviews. Both are split deterministically
by a hash of the review id into train / calibration / held-out parts, so the
held-out accuracy printed here and in the benchmark is measured on reviews the
model never saw.

Method: hashed binary features (character 1-5-grams, morpheme or word
unigrams and bigrams, negation-marked predicates), L2-normalised per text and
scaled by naive-Bayes log-count ratios (the NB-LR / NBSVM recipe of Wang and
Manning, 2012), then L2-regularised logistic regression fitted with L-BFGS,
then Platt calibration on the calibration part. scipy is needed here only,
and is imported inside the functions that use it so that the CLI and the
inference path (which need numpy alone) never load it.
"""

from __future__ import annotations

import html
import math
import re
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dangol.textkit import english, korean, morph
from dangol.textkit.features import FeatureSpec, featurize
from dangol.textkit.lang import clean_text
from dangol.textkit.model import SentimentModel, sigmoid

__all__ = [
    "Example",
    "TrainConfig",
    "TrainReport",
    "default_data_path",
    "load_amazon",
    "load_nsmc",
    "split_of",
    "train",
]

SPLIT_HELDOUT = "heldout"
SPLIT_CALIBRATION = "calibration"
SPLIT_TRAIN = "train"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text: source id, text, label (1 positive, 0 negative).

    ``aux`` marks extra training texts cut from a review (its title): they
    share the review's id, hence its split, and are never evaluated on.
    """

    id: str
    text: str
    label: int
    aux: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters, chosen on the held-out split and the dev sets (see MODEL_CARD.md).

    The lexicon weights are not fitted: the corpora are film and long product
    reviews, so they were set by hand on the hand-written dev sets of shopping
    comments (tests/textkit/data/*_dev.tsv), checking that NSMC held-out
    accuracy does not drop.
    """

    spec: FeatureSpec
    l2: float
    max_iter: int
    heldout_percent: int
    calibration_percent: int
    lexicon_weight: float
    lexicon_weight_general: float
    neutral_band: float = 0.15


CONFIGS: dict[str, TrainConfig] = {
    "ko": TrainConfig(
        FeatureSpec(bits=23, char_ngrams=(1, 2, 3, 4, 5), despaced_ngrams=(2, 3, 4)),
        l2=0.25,
        max_iter=300,
        heldout_percent=7,
        calibration_percent=4,
        lexicon_weight=2.0,
        lexicon_weight_general=0.25,
    ),
    "en": TrainConfig(
        FeatureSpec(bits=20, char_ngrams=(2, 3, 4)),
        l2=0.25,
        max_iter=300,
        heldout_percent=10,
        calibration_percent=10,
        lexicon_weight=1.0,
        lexicon_weight_general=1.0,
    ),
}


@dataclass(frozen=True)
class TrainReport:
    """What a training run produced and measured."""

    lang: str
    path: Path
    n_train: int
    n_calibration: int
    n_heldout: int
    heldout_accuracy: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "lang": self.lang,
            "path": str(self.path),
            "n_train": self.n_train,
            "n_calibration": self.n_calibration,
            "n_heldout": self.n_heldout,
            "heldout_accuracy": round(self.heldout_accuracy, 4),
            "seconds": round(self.seconds, 1),
        }


def default_data_path(lang: str, root: Path | None = None) -> Path:
    """Where the shared training data lives by default (``../shared/data`` from the project)."""
    base = root or Path.cwd().parent / "shared" / "data"
    return base / ("nsmc/ratings_train.txt" if lang == "ko" else "amazon-multidomain")


def split_of(example_id: str, heldout_percent: int, calibration_percent: int) -> str:
    """Deterministic split of a review by a hash of its id."""
    bucket = zlib.crc32(example_id.encode("utf-8")) % 100
    if bucket < heldout_percent:
        return SPLIT_HELDOUT
    if bucket < heldout_percent + calibration_percent:
        return SPLIT_CALIBRATION
    return SPLIT_TRAIN


def load_nsmc(path: Path, limit: int | None = None) -> list[Example]:
    """Read NSMC's ``id<TAB>document<TAB>label`` file, skipping empty documents."""
    out: list[Example] = []
    with path.open(encoding="utf-8") as fh:
        header = fh.readline()
        if not header.startswith("id"):
            raise ValueError(f"{path}: line 1: expected the header 'id document label'")
        for lineno, line in enumerate(fh, start=2):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[2] not in ("0", "1"):
                raise ValueError(f"{path}: line {lineno}: expected id, document, label 0/1")
            if parts[1].strip():
                out.append(Example(parts[0], parts[1], int(parts[2])))
            if limit is not None and len(out) >= limit:
                break
    return out


_REVIEW = re.compile(r"<review>(.*?)</review>", re.S)
_FIELD = re.compile(r"<(unique_id|rating|title|review_text)>\s*(.*?)\s*</\1>", re.S)


def load_amazon(root: Path, limit: int | None = None) -> list[Example]:
    """Read the multi-domain Amazon reviews (``<domain>/{positive,negative}.review``).

    The files are pseudo-XML (unescaped ``&`` and stray markup), so fields are
    picked out with a regular expression instead of an XML parser. The label
    comes from the star rating: 4-5 positive, 1-2 negative. Each title is also
    added as an auxiliary example: titles are short and pointed ("Broke after
    a week"), much like the customer comments the model will score, while
    full reviews run to hundreds of words.
    """
    out: list[Example] = []
    files = sorted(root.glob("*/positive.review")) + sorted(root.glob("*/negative.review"))
    if not files:
        raise ValueError(f"{root}: no <domain>/positive.review or negative.review files")
    for path in files:
        raw = path.read_bytes().decode("utf-8", errors="replace")
        for i, block in enumerate(_REVIEW.findall(raw)):
            fields = {k: v for k, v in _FIELD.findall(block)}
            try:
                rating = float(fields.get("rating", ""))
            except ValueError:
                continue
            if rating == 3:
                continue
            title = " ".join(html.unescape(fields.get("title", "")).split())
            body = " ".join(html.unescape(fields.get("review_text", "")).split())
            uid = f"{path.parent.name}/{path.stem}/{i}/{fields.get('unique_id', '')}"
            label = 1 if rating >= 4 else 0
            out.append(Example(uid, f"{title}. {body}", label))
            if title:
                out.append(Example(uid, title, label, aux=True))
    if limit is not None:
        # Interleave so that a small limit still covers both labels and all domains.
        out.sort(key=lambda e: (zlib.crc32(e.id.encode()), e.aux))
        out = out[:limit]
    return out


def _units(lang: str, texts: Sequence[str]) -> Iterator[tuple[str, list[str], list[str]]]:
    """(char text, keys, negation bag) per text, exactly as the pipeline builds them."""
    cleaned = [clean_text(t) for t in texts]
    if lang == "ko":
        for text, morphs in zip(cleaned, morph.morphemes_many(cleaned), strict=True):
            keys, bag = korean.feature_keys(morphs)
            yield text.lower(), keys, bag
    else:
        for text in cleaned:
            keys, bag = english.feature_keys(english.tokenize(text))
            yield text.lower(), keys, bag


def _matrix(
    lang: str,
    texts: Sequence[str],
    spec: FeatureSpec,
    chunk: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Any:
    import scipy.sparse as sp

    parts = []
    for start in range(0, len(texts), chunk):
        rows = list(_units(lang, texts[start : start + chunk]))
        batch = featurize([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], spec)
        parts.append(
            sp.csr_matrix(
                (batch.values(), (batch.unit, batch.bucket)), shape=(batch.n_units, 1 << spec.bits)
            )
        )
        if progress:
            progress(len(rows))
    return sp.vstack(parts).tocsr()


def nb_ratios(x: Any, y: npt.NDArray[np.float64], alpha: float = 1.0) -> npt.NDArray[np.float64]:
    """Naive-Bayes log-count ratio of every feature (Wang & Manning 2012)."""
    present = (x > 0).astype(np.float64)
    p = np.asarray(present[y == 1].sum(axis=0)).ravel() + alpha
    q = np.asarray(present[y == 0].sum(axis=0)).ravel() + alpha
    out: npt.NDArray[np.float64] = np.log((p / p.sum()) / (q / q.sum()))
    return out


def fit_logistic(
    x: Any, y: npt.NDArray[np.float64], l2: float, max_iter: int
) -> tuple[npt.NDArray[np.float64], float]:
    """L2-regularised logistic regression by L-BFGS; returns (weights, bias)."""
    from scipy.optimize import minimize
    from scipy.special import expit

    signs = 2.0 * y - 1.0
    xt = x.T.tocsr()

    def objective(params: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w, b = params[:-1], params[-1]
        margin = signs * (x @ w + b)
        loss = float(np.logaddexp(0.0, -margin).sum() + 0.5 * l2 * (w @ w))
        g = -signs * expit(-margin)
        return loss, np.concatenate([xt @ g + l2 * w, [g.sum()]])

    res = minimize(
        objective,
        np.zeros(x.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    return res.x[:-1], float(res.x[-1])


def fit_platt(z: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Platt scaling ``sigmoid(a*z + b)`` by maximum likelihood (Newton steps)."""
    a, b = 1.0, 0.0
    for _ in range(50):
        p = sigmoid(a * z + b)
        w = np.maximum(p * (1 - p), 1e-9)
        ga, gb = float(((p - y) * z).sum()), float((p - y).sum())
        haa, hab, hbb = float((w * z * z).sum()), float((w * z).sum()), float(w.sum())
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) + abs(db) < 1e-8:
            break
    return a, b


def train(
    lang: str,
    out_dir: Path,
    data_path: Path | None = None,
    limit: int | None = None,
    log: Callable[[str], None] = print,
    max_iter: int | None = None,
    network: bool | None = None,
    network_config: Any = None,
) -> TrainReport:
    """Train, calibrate and save ``sentiment_<lang>.npz`` into ``out_dir``.

    ``limit`` and ``max_iter`` shrink a run for smoke tests; the shipped
    models use neither. ``network`` (default: on for Korean) also trains the
    morpheme network of :mod:`dangol.textkit.training_neural` and blends it
    in; that needs PyTorch.
    """
    if lang not in CONFIGS:
        raise ValueError(f"--lang: expected one of {sorted(CONFIGS)}, got {lang!r}")
    cfg = CONFIGS[lang]
    path = data_path or default_data_path(lang)
    if not path.exists():
        raise FileNotFoundError(f"training data not found: {path}")
    started = time.monotonic()
    examples = load_nsmc(path, limit) if lang == "ko" else load_amazon(path, limit)
    splits = [split_of(e.id, cfg.heldout_percent, cfg.calibration_percent) for e in examples]
    log(f"{lang}: {len(examples)} reviews from {path}")
    x = _matrix(lang, [e.text for e in examples], cfg.spec)
    y = np.array([e.label for e in examples], dtype=np.float64)
    aux = np.array([e.aux for e in examples])
    part = {
        s: np.array([sp == s for sp in splits]) & (~aux if s != SPLIT_TRAIN else True)
        for s in (SPLIT_TRAIN, SPLIT_CALIBRATION, SPLIT_HELDOUT)
    }
    tr = part[SPLIT_TRAIN]
    log(
        f"features: {x.shape[1]} buckets, {x.nnz / max(x.shape[0], 1):.0f} per review; "
        f"fitting on {int(tr.sum())} reviews"
    )
    import scipy.sparse as sp  # training-only dependency, see the module docstring

    # Fit only over buckets that occur in training: with 2**22+ buckets the
    # optimiser's history vectors would otherwise dominate memory and time.
    used = np.unique(x[tr].indices)
    xu = x[:, used]
    ratios = nb_ratios(xu[tr], y[tr])
    wu, b = fit_logistic(xu[tr] @ sp.diags(ratios), y[tr], cfg.l2, max_iter or cfg.max_iter)
    w = np.zeros(x.shape[1])
    w[used] = wu * ratios
    model = SentimentModel.from_weights(
        lang,
        cfg.spec,
        w,
        b,
        lexicon_weight=cfg.lexicon_weight,
        lexicon_weight_general=cfg.lexicon_weight_general,
        neutral_band=cfg.neutral_band,
    )
    cal = part[SPLIT_CALIBRATION]
    held = part[SPLIT_HELDOUT]
    keys: list[list[str]] = []
    network_meta: dict[str, Any] = {}
    if network if network is not None else lang == "ko":
        if lang != "ko":
            raise ValueError("--network: only the Korean model has a morpheme network")
        from dangol.textkit import training_neural

        cfg_net = network_config or training_neural.NeuralConfig()
        keys, key_ids = training_neural.morpheme_keys([clean_text(e.text) for e in examples])
        net = training_neural.train_network(keys, y, tr, key_ids, cfg_net, log)
        model = model.with_updates(network=net)
        linear_acc = _accuracy(_raw_logits(model, x[held]), y[held])
        alpha = choose_network_weight(model, x[cal], _rows(keys, cal), y[cal])
        model = model.with_updates(network_weight=alpha)
        network_acc = _accuracy(net.logits(_rows(keys, held)), y[held])
        log(
            f"network weight {alpha:.2f} (chosen on the calibration split); held-out accuracy "
            f"of the linear model alone {linear_acc:.4f}, of the network alone {network_acc:.4f}"
        )
        network_meta = {
            "network": {**asdict(cfg_net), "morphemes": len(net.keys)},
            "linear_heldout_accuracy": round(linear_acc, 4),
            "network_heldout_accuracy": round(network_acc, 4),
        }
    if cal.sum() >= 20:
        z_cal = _model_logits(model, x[cal], _rows(keys, cal))
        a, bb = fit_platt(z_cal, y[cal])
        model = model.with_updates(platt_a=a, platt_b=bb)
    acc = float("nan")
    if held.sum():
        z = model.platt_a * _model_logits(model, x[held], _rows(keys, held)) + model.platt_b
        acc = _accuracy(z, y[held])
        z_float = np.asarray(x[held] @ w).ravel() + b
        log(
            f"held-out accuracy {acc:.4f} (linear model with unquantised weights: "
            f"{float(((z_float > 0) == (y[held] == 1)).mean()):.4f})"
        )
    meta = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": str(path.name if lang == "ko" else "amazon-multidomain"),
        "n_train": int(tr.sum()),
        "n_calibration": int(cal.sum()),
        "n_heldout": int(held.sum()),
        "heldout_accuracy": round(acc, 4),
        "l2": cfg.l2,
        "network_weight": model.network_weight,
        "split": {
            "heldout_percent": cfg.heldout_percent,
            "calibration_percent": cfg.calibration_percent,
            "hash": "crc32(id) % 100",
        },
        "kiwi": {"cutoff_threshold": morph.KiwiSettings().cutoff_threshold},
        **network_meta,
    }
    model = model.with_updates(meta=meta)
    target = out_dir / f"sentiment_{lang}.npz"
    model.save(target)
    report = TrainReport(
        lang,
        target,
        int(tr.sum()),
        int(cal.sum()),
        int(held.sum()),
        acc,
        time.monotonic() - started,
    )
    log(f"saved {target} (held-out accuracy {acc:.4f}, {report.seconds:.0f} s)")
    return report


def choose_network_weight(
    model: SentimentModel, x: Any, keys: list[list[str]], y: npt.NDArray[np.float64]
) -> float:
    """Blend weight α in [0, 0.8] with the lowest calibrated log-loss on held-apart rows."""
    linear = _raw_logits(model, x)
    assert model.network is not None
    net = model.network.logits(keys)
    best, best_loss = 0.0, math.inf
    for alpha in np.round(np.arange(0.0, 0.81, 0.05), 2):
        z = (1.0 - alpha) * linear + alpha * net
        a, b = fit_platt(z, y)
        p = np.clip(sigmoid(a * z + b), 1e-9, 1 - 1e-9)
        loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
        if loss < best_loss - 1e-6:
            best, best_loss = float(alpha), loss
    return best


def _rows(keys: list[list[str]], mask: npt.NDArray[np.bool_]) -> list[list[str]]:
    if not keys:
        return []
    return [k for k, m in zip(keys, mask, strict=True) if m]


def _accuracy(z: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    return float(((z > 0) == (y == 1)).mean())


def _model_logits(model: SentimentModel, x: Any, keys: list[list[str]]) -> npt.NDArray[np.float64]:
    """Uncalibrated logits of the whole model (linear, blended with the network if any)."""
    raw = _raw_logits(model, x)
    return model.blended_logits(raw, keys) if keys else raw


def _raw_logits(model: SentimentModel, x: Any) -> npt.NDArray[np.float64]:
    """Model logits for rows of a training matrix, through the quantised weights."""
    w = model.weights
    out: npt.NDArray[np.float64] = np.asarray(x @ w).ravel() + model.bias
    return out
