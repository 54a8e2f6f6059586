"""A small convolutional network over morphemes, run with numpy alone.

The linear model reads character and morpheme n-grams; it knows nothing of
words it has not seen in training. This network reads the same morpheme keys
(``form/TAG``) through word vectors taken from kiwipiepy's own language model
(CoNg), which was trained on far more Korean than the film reviews, so
"이쁘다", "예쁘다" and "귀엽다" start out close together. Its log-odds are
blended with the linear model's before calibration (see
:class:`dangol.textkit.model.SentimentModel`).

Architecture (trained by :mod:`dangol.textkit.training_neural`): a table of
morpheme vectors, convolutions of width 1 to 3 with ReLU, max-pooling over the
comment, one output unit. The table is stored as int8 with one scale per row.

Inference runs on a whole batch at once: the units' morphemes are laid end to
end with ``max width - 1`` empty rows between them, so one matrix product per
batch computes every window of every unit and no window crosses two units.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["PAD", "UNK", "MorphemeCNN"]

PAD = 0
UNK = 1
# Comments longer than this many morphemes are read from their start; the
# pipeline already cuts texts at MAX_ANALYSIS_CHARS.
MAX_TOKENS = 512
# The first rows of the table are the most frequent morphemes (training orders
# them so); their products with the filters are computed once at load time
# (about 6 MB), which turns most of the per-batch matrix product into a lookup.
HOT_ROWS = 2048


@dataclass(frozen=True, eq=False)
class MorphemeCNN:
    """Morpheme vectors, convolution filters and the output unit."""

    keys: tuple[str, ...]
    table: npt.NDArray[np.int8]
    row_scale: npt.NDArray[np.float32]
    widths: tuple[int, ...]
    conv: npt.NDArray[np.float32]
    conv_bias: npt.NDArray[np.float32]
    out: npt.NDArray[np.float32]
    out_bias: float
    index: dict[str, int] = field(init=False, repr=False)
    hot: npt.NDArray[np.float32] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {k: i for i, k in enumerate(self.keys)})
        rows = min(HOT_ROWS, len(self.keys))
        vectors = self.table[:rows].astype(np.float32) * self.row_scale[:rows, None]
        object.__setattr__(self, "hot", np.ascontiguousarray(vectors @ self.conv))

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @property
    def filters(self) -> int:
        return int(self.conv_bias.shape[0]) // len(self.widths)

    @classmethod
    def from_float(
        cls,
        keys: Sequence[str],
        table: npt.NDArray[np.floating],
        widths: Sequence[int],
        conv: Sequence[npt.NDArray[np.floating]],
        conv_bias: Sequence[npt.NDArray[np.floating]],
        out: npt.NDArray[np.floating],
        out_bias: float,
    ) -> MorphemeCNN:
        """Build from trained float weights.

        ``conv[i]`` has shape ``(widths[i], dim, filters)``: the weight of the
        morpheme ``j`` places before the window's end at index ``j``.
        """
        t = np.asarray(table, dtype=np.float64)
        scale = np.abs(t).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(t / scale[:, None]), -127, 127).astype(np.int8)
        # One (dim, sum(width) * filters) matrix: column block (i, j) holds
        # conv[i][j], so a single product gives every shifted term.
        blocks = [np.asarray(c[j], dtype=np.float32) for c in conv for j in range(c.shape[0])]
        return cls(
            tuple(keys),
            q,
            scale.astype(np.float32),
            tuple(int(w) for w in widths),
            np.ascontiguousarray(np.concatenate(blocks, axis=1)),
            np.concatenate([np.asarray(b, dtype=np.float32) for b in conv_bias]),
            np.asarray(out, dtype=np.float32).ravel(),
            float(out_bias),
        )

    def ids(self, keys: Sequence[str]) -> list[int]:
        get = self.index.get
        return [get(k, UNK) for k in keys[:MAX_TOKENS]]

    def logits(self, units: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        """Log-odds of "positive" for each unit (a list of morpheme keys).

        A unit without morphemes gets 0.
        """
        n = len(units)
        result = np.zeros(n)
        if n == 0:
            return result
        gap = max(self.widths) - 1
        seq: list[int] = [PAD] * gap
        spans: list[int] = []  # start, end of each unit's morphemes in seq
        owners: list[int] = []
        for u, keys in enumerate(units):
            ids = self.ids(keys)
            if not ids:
                continue
            owners.append(u)
            spans.append(len(seq))
            seq.extend(ids)
            spans.append(len(seq))
            # At least one row after each unit, so that its end is a valid index.
            seq.extend([PAD] * max(gap, 1))
        if not owners:
            return result
        idx = np.asarray(seq, dtype=np.intp)
        cold = idx >= len(self.hot)
        y = self.hot[np.where(cold, 0, idx)]
        if cold.any():
            rare = idx[cold]
            x = self.table[rare].astype(np.float32)
            x *= self.row_scale[rare, None]
            y[cold] = x @ self.conv
        f = self.filters
        length = len(seq)
        # Every window end from the first real row on; ends on padding rows
        # are computed too (cheaper than selecting) but never pooled.
        bounds = np.asarray(spans, dtype=np.intp) - gap
        pooled = []
        col = 0
        for i, w in enumerate(self.widths):
            acc = y[gap:length, col : col + f].copy()
            col += f
            for j in range(1, w):
                acc += y[gap - j : length - j, col : col + f]
                col += f
            acc += self.conv_bias[i * f : (i + 1) * f]
            np.maximum(acc, 0.0, out=acc)
            # reduceat over (start, end) pairs: even entries are the units' maxima.
            pooled.append(np.maximum.reduceat(acc, bounds, axis=0)[::2])
        z = np.concatenate(pooled, axis=1) @ self.out + self.out_bias
        result[np.asarray(owners)] = z
        return result

    # -- storage ------------------------------------------------------------

    def to_arrays(self, prefix: str = "cnn_") -> dict[str, Any]:
        """Arrays to store inside a model ``.npz`` (no pickle)."""
        header = {"widths": list(self.widths), "out_bias": self.out_bias}
        return {
            prefix + "keys": np.frombuffer("\n".join(self.keys).encode("utf-8"), dtype=np.uint8),
            prefix + "table": self.table,
            prefix + "row_scale": self.row_scale,
            prefix + "conv": self.conv,
            prefix + "conv_bias": self.conv_bias,
            prefix + "out": self.out,
            prefix + "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        }

    @classmethod
    def from_arrays(cls, data: Any, prefix: str = "cnn_") -> MorphemeCNN | None:
        """Read what :meth:`to_arrays` wrote, or None when the file has no network."""
        if prefix + "header" not in data:
            return None
        header = json.loads(bytes(data[prefix + "header"]).decode())
        keys = tuple(bytes(data[prefix + "keys"]).decode("utf-8").split("\n"))
        return cls(
            keys,
            np.ascontiguousarray(data[prefix + "table"], dtype=np.int8),
            np.asarray(data[prefix + "row_scale"], dtype=np.float32),
            tuple(int(w) for w in header["widths"]),
            np.ascontiguousarray(data[prefix + "conv"], dtype=np.float32),
            np.asarray(data[prefix + "conv_bias"], dtype=np.float32),
            np.asarray(data[prefix + "out"], dtype=np.float32),
            float(header["out_bias"]),
        )
