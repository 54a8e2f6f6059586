"""The shipped sentiment models: a hashed linear model plus calibration.

A model file is a compressed ``.npz`` (no pickle) holding one byte per
hashed feature bucket (an index into a 256-entry codebook of weights), the
bias, the Platt calibration, the weight given to the domain lexicon, the
neutral band and the feature spec. The codebook comes from 1-D k-means over the
trained weights, so both the many small weights and the few large ones keep
their resolution (a uniform int8 scale rounded most weights to zero, and
quantiles alone blurred the large ones); one byte per bucket keeps each file
to a few megabytes on disk and in memory.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dangol.textkit.features import FeatureSpec, SparseBatch
from dangol.textkit.neural import MorphemeCNN

__all__ = ["SentimentModel", "load_model", "model_path", "register_model", "set_model_dir"]


@dataclass(frozen=True)
class SentimentModel:
    """Calibrated binary sentiment model over hashed features.

    ``probability = sigmoid(μ * (platt_a * r + platt_b) + λ * lexicon)`` where
    ``r = w·x + bias`` or, for a model with a morpheme ``network``,
    ``r = (1 - α) * (w·x + bias) + α * network(morphemes)`` with α =
    ``network_weight``.
    For text that names a commerce/service theme (delivery, size, staff...)
    μ is ``domain_model_weight`` and λ is ``lexicon_weight``: there the
    film-trained model is least reliable ("배송이 늦어요 ㅠㅠ" reads like a moved
    film fan) and the hand-written cues are most. Elsewhere μ is 1 and λ is
    ``lexicon_weight_general``. A probability within ``neutral_band`` of 0.5
    is labelled neutral.
    """

    lang: str
    spec: FeatureSpec
    codes: npt.NDArray[np.uint8]
    codebook: npt.NDArray[np.float64]
    bias: float
    platt_a: float = 1.0
    platt_b: float = 0.0
    lexicon_weight: float = 1.0
    lexicon_weight_general: float = 0.0
    domain_model_weight: float = 1.0
    neutral_band: float = 0.15
    meta: dict[str, Any] = field(default_factory=dict)
    network: MorphemeCNN | None = None
    network_weight: float = 0.0

    @classmethod
    def from_weights(
        cls,
        lang: str,
        spec: FeatureSpec,
        weights: npt.NDArray[np.floating],
        bias: float,
        **kwargs: Any,
    ) -> SentimentModel:
        """Quantise float weights to one-byte codes; code 0 is exactly zero."""
        w = np.asarray(weights, dtype=np.float64)
        centres = _kmeans_1d(w[w != 0], 255)
        codebook = np.zeros(256)
        codebook[1 : 1 + len(centres)] = centres
        mids = (centres[1:] + centres[:-1]) / 2
        codes = (np.searchsorted(mids, w) + 1).astype(np.uint8)
        codes[w == 0] = 0
        return cls(lang, spec, codes, codebook, float(bias), **kwargs)

    @property
    def weights(self) -> npt.NDArray[np.float64]:
        """Dequantised weight vector (built on demand; inference indexes codes instead)."""
        out: npt.NDArray[np.float64] = self.codebook[self.codes]
        return out

    def raw_logits(self, batch: SparseBatch) -> npt.NDArray[np.float64]:
        """Uncalibrated ``w·x + bias`` per unit."""
        sums = np.bincount(
            batch.unit, weights=self.codebook[self.codes[batch.bucket]], minlength=batch.n_units
        )
        return sums * batch.scale + self.bias

    def blended_logits(
        self, raw: npt.NDArray[np.float64], keys: list[list[str]]
    ) -> npt.NDArray[np.float64]:
        """Blend the linear logits with the network's for the same units.

        ``keys`` are each unit's morpheme keys; a model without a network
        returns ``raw`` unchanged.
        """
        if self.network is None or self.network_weight == 0.0:
            return raw
        a = self.network_weight
        out: npt.NDArray[np.float64] = (1.0 - a) * raw + a * self.network.logits(keys)
        return out

    def calibrated_logits(
        self,
        raw: npt.NDArray[np.float64],
        lexicon: npt.NDArray[np.float64],
        domain: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.float64]:
        """Log-odds of "positive" after calibration and the lexicon prior.

        ``domain`` marks units that mention a theme of the taxonomy.
        """
        lex_weight = np.where(domain, self.lexicon_weight, self.lexicon_weight_general)
        model_weight = np.where(domain, self.domain_model_weight, 1.0)
        calibrated = self.platt_a * raw + self.platt_b
        out: npt.NDArray[np.float64] = model_weight * calibrated + lex_weight * lexicon
        return out

    def with_updates(self, **changes: Any) -> SentimentModel:
        """A copy with some calibration fields replaced."""
        data = {f: getattr(self, f) for f in self.__dataclass_fields__}
        data.update(changes)
        return SentimentModel(**data)

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "lang": self.lang,
            "spec": self.spec.to_json(),
            "bias": self.bias,
            "platt_a": self.platt_a,
            "platt_b": self.platt_b,
            "lexicon_weight": self.lexicon_weight,
            "lexicon_weight_general": self.lexicon_weight_general,
            "domain_model_weight": self.domain_model_weight,
            "neutral_band": self.neutral_band,
            "network_weight": self.network_weight,
            "meta": self.meta,
        }
        extra = self.network.to_arrays() if self.network is not None else {}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                codes=self.codes,
                codebook=self.codebook,
                header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
                **extra,
            )

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        """Read a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            codes = np.ascontiguousarray(data["codes"], dtype=np.uint8)
            codebook = np.asarray(data["codebook"], dtype=np.float64)
            network = MorphemeCNN.from_arrays(data)
        return cls(
            lang=header["lang"],
            spec=FeatureSpec.from_json(header["spec"]),
            codes=codes,
            codebook=codebook,
            bias=float(header["bias"]),
            platt_a=float(header["platt_a"]),
            platt_b=float(header["platt_b"]),
            lexicon_weight=float(header["lexicon_weight"]),
            lexicon_weight_general=float(header.get("lexicon_weight_general", 0.0)),
            domain_model_weight=float(header.get("domain_model_weight", 1.0)),
            neutral_band=float(header["neutral_band"]),
            meta=dict(header.get("meta", {})),
            network=network,
            network_weight=float(header.get("network_weight", 0.0)) if network else 0.0,
        )


def _kmeans_1d(values: npt.NDArray[np.float64], k: int, iters: int = 30) -> npt.NDArray[np.float64]:
    """Up to ``k`` sorted centres minimising squared error (Lloyd's algorithm).

    Starting points are quantiles of the cube root of the values, which puts
    more centres in the tails than plain quantiles; the extreme values are
    kept as exact centres because the largest weights matter most.
    """
    if values.size == 0:
        return np.zeros(1)
    cube = np.cbrt(values)
    centres = np.unique(np.quantile(cube, (np.arange(k - 2) + 0.5) / (k - 2)) ** 3)
    lo, hi = float(values.min()), float(values.max())
    for _ in range(iters):
        mids = (centres[1:] + centres[:-1]) / 2
        idx = np.searchsorted(mids, values)
        counts = np.bincount(idx, minlength=len(centres))
        sums = np.bincount(idx, weights=values, minlength=len(centres))
        keep = counts > 0
        updated = np.unique(sums[keep] / counts[keep])
        if len(updated) == len(centres) and np.allclose(updated, centres):
            break
        centres = updated
    return np.unique(np.concatenate([centres, [lo, hi]]))


_lock = threading.Lock()
_cache: dict[str, SentimentModel] = {}
_model_dir: Path | None = None


def set_model_dir(path: Path | None) -> None:
    """Load models from ``path`` instead of the package (None restores the default)."""
    global _model_dir
    with _lock:
        _model_dir = path
        _cache.clear()


def model_path(lang: str) -> Path:
    """Where the sentiment model for ``lang`` is read from."""
    if _model_dir is not None:
        return _model_dir / f"sentiment_{lang}.npz"
    return Path(str(resources.files("dangol.textkit").joinpath(f"models/sentiment_{lang}.npz")))


def register_model(model: SentimentModel) -> None:
    """Use ``model`` for its language from now on (e.g. a variant under evaluation)."""
    with _lock:
        _cache[model.lang] = model


def load_model(lang: str) -> SentimentModel:
    """The sentiment model for ``lang`` ("ko" or "en"), loaded once and cached."""
    model = _cache.get(lang)
    if model is None:
        with _lock:
            model = _cache.get(lang)
            if model is None:
                path = model_path(lang)
                if not path.exists():
                    raise FileNotFoundError(
                        f"no sentiment model at {path}; train one with `dangol text train --lang "
                        f"{lang} --out {path.parent}`"
                    )
                model = SentimentModel.load(path)
                _cache[lang] = model
    return model


def sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Numerically safe logistic function."""
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * np.clip(z, -60.0, 60.0)))
    return out


def logit(p: float) -> float:
    """Inverse of :func:`sigmoid` for a scalar probability in (0, 1)."""
    return math.log(p / (1.0 - p))
