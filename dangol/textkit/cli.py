"""Streaming command-line front ends (used by ``dangol text analyze|train``).

``run_analyze`` reads bytes, one document per line, so that a line that is not
valid UTF-8 can be reported by number and skipped over without stopping the
run; it holds at most one batch in memory, whatever the input size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from dangol.textkit.pii import mask_pii
from dangol.textkit.pipeline import analyze_many
from dangol.textkit.themes import Taxonomy
from dangol.textkit.training import train

__all__ = ["run_analyze", "run_train"]


def _error_record(lineno: int, raw: bytes, exc: UnicodeDecodeError) -> dict[str, Any]:
    return {
        "line": lineno,
        "error": f"invalid UTF-8 at byte {exc.start}",
        "lang": "other",
        "sentiment": {"label": "neutral", "score": 0.0},
        "themes": [],
        "keywords": [],
        "masked": mask_pii(raw.decode("utf-8", "replace")),
        "truncated": False,
    }


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for raw in stream:
        yield raw.rstrip(b"\r\n")


def run_analyze(
    stdin: IO[bytes],
    stdout: IO[bytes],
    stderr: IO[str],
    *,
    batch_size: int = 512,
    progress: bool = True,
    taxonomy: Taxonomy | None = None,
) -> int:
    """Analyse every line of ``stdin`` and write one JSON object per line to ``stdout``.

    Returns the number of lines that were not valid UTF-8 (each reported on
    ``stderr`` with its line number and answered with an ``error`` record).
    """
    bad = 0
    bar = tqdm(file=stderr, unit=" lines", disable=not progress, mininterval=0.5)
    batch: list[tuple[int, bytes, str | None, UnicodeDecodeError | None]] = []

    def flush() -> None:
        good = [text for _, _, text, _ in batch if text is not None]
        results = iter(analyze_many(good, taxonomy, batch_size=len(good) or 1))
        out: list[bytes] = []
        for lineno, raw, _, exc in batch:
            record = next(results).to_dict() if exc is None else _error_record(lineno, raw, exc)
            out.append(json.dumps(record, ensure_ascii=False).encode("utf-8"))
        out.append(b"")
        stdout.write(b"\n".join(out))
        stdout.flush()
        bar.update(len(batch))
        batch.clear()

    try:
        for lineno, raw in enumerate(_lines(stdin), start=1):
            try:
                batch.append((lineno, raw, raw.decode("utf-8"), None))
            except UnicodeDecodeError as exc:
                bad += 1
                bar.write(f"line {lineno}: invalid UTF-8 at byte {exc.start}", file=stderr)
                batch.append((lineno, raw, None, exc))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    finally:
        bar.close()
    return bad


def run_train(
    lang: str,
    out_dir: Path,
    data: Path | None,
    limit: int | None,
    stderr: IO[str],
    network: bool | None = None,
) -> dict[str, Any]:
    """Train one sentiment model, logging progress to ``stderr``; returns the report.

    ``network`` None trains the morpheme network for Korean only.
    """

    def log(message: str) -> None:
        print(message, file=stderr, flush=True)

    return train(lang, out_dir, data, limit, log=log, network=network).to_dict()
