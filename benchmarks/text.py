"""Benchmark of dangol.textkit: accuracy, throughput and memory.

Run as ``python -m benchmarks.text [--quick]``. Progress goes to stderr; the
last line on stdout is one JSON object:

- ``ko_heldout_accuracy``: NSMC reviews held out of training, through the
  whole pipeline (``ko_heldout_no_lexicon``: lexicon weights set to 0;
  ``ko_model_heldout_accuracy``: the bare model as measured by the training
  run, which also scores the letter-less reviews that the pipeline calls
  neutral);
- ``ko_shopping_accuracy``: hand-written shopping/service comments
  (tests/textkit/data/shopping_ko_eval.tsv), never used for training or tuning;
- ``en_heldout_accuracy`` (Amazon reviews held out) and ``en_comments_accuracy``
  (hand-written short product and restaurant comments);
- throughput of sentiment + themes + masking (the whole ``analyze_many``) on
  comments of about 40 characters, pinned to one CPU, next to kiwipiepy's
  tokenisation alone of the same texts in the same run (``ratio`` = ours /
  tokenisation alone; tokenisation uses the same Kiwi settings as textkit, and
  ``kiwi_default_docs_per_s`` shows Kiwi with its default settings);
- ``rss_models_mb``: resident memory added by loading Kiwi and both models.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import zlib
from pathlib import Path
from typing import Any

from dangol.textkit import analyze_many
from dangol.textkit.lang import clean_text
from dangol.textkit.model import load_model, register_model
from dangol.textkit.morph import get_kiwi, tokenize_raw
from dangol.textkit.training import load_amazon, load_nsmc, split_of

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EVAL = ROOT / "tests" / "textkit" / "data"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _tsv(name: str) -> list[tuple[int, str]]:
    lines = (EVAL / name).read_text("utf-8").splitlines()[1:]
    return [
        (1 if label == "pos" else 0, text) for label, text in (ln.split("\t", 1) for ln in lines)
    ]


def _accuracy(rows: list[tuple[int, str]]) -> float:
    results = analyze_many([t for _, t in rows], batch_size=512)
    hits = sum(
        (a.sentiment.score >= 0) == (y == 1) for (y, _), a in zip(rows, results, strict=True)
    )
    return round(hits / len(rows), 4)


def _heldout(lang: str, limit: int | None) -> tuple[list[tuple[int, str]], dict[str, Any]]:
    model = load_model(lang)
    split = model.meta["split"]
    if lang == "ko":
        examples = load_nsmc(SHARED / "nsmc" / "ratings_train.txt")
    else:
        examples = [e for e in load_amazon(SHARED / "amazon-multidomain") if not e.aux]
    rows = [
        (e.label, e.text)
        for e in examples
        if split_of(e.id, split["heldout_percent"], split["calibration_percent"]) == "heldout"
    ]
    return (rows[:limit] if limit else rows), split


def _no_lexicon_accuracy(lang: str, rows: list[tuple[int, str]]) -> float:
    """Pipeline accuracy with the domain lexicon switched off."""
    model = load_model(lang)
    register_model(model.with_updates(lexicon_weight=0.0, lexicon_weight_general=0.0))
    try:
        return _accuracy(rows)
    finally:
        register_model(model)


def _forty_char_texts(lang: str, n: int) -> list[str]:
    """Real comments of 30-50 characters (NSMC reviews; Amazon review sentences)."""
    out: list[str] = []
    if lang == "ko":
        for e in load_nsmc(SHARED / "nsmc" / "ratings_train.txt"):
            text = clean_text(e.text)
            if 30 <= len(text) <= 50:
                out.append(text)
    else:
        for e in load_amazon(SHARED / "amazon-multidomain"):
            for sentence in re.split(r"(?<=[.!?])\s+", e.text):
                if 30 <= len(sentence) <= 50:
                    out.append(sentence)
    out.sort(key=lambda t: zlib.crc32(t.encode()))
    return out[:n]


def _rate(fn: Any, texts: list[str], repeat: int = 2) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        fn(texts)
        best = max(best, len(texts) / (time.perf_counter() - start))
    return round(best, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    args = parser.parse_args()
    n_speed = 2000 if args.quick else 10000
    n_heldout = 2000 if args.quick else None
    result: dict[str, Any] = {"quick": args.quick}

    rss0 = _rss_mb()
    get_kiwi()
    load_model("ko")
    load_model("en")
    analyze_many(["배송 빨라요", "fast delivery"])
    result["rss_models_mb"] = round(_rss_mb() - rss0, 1)
    result["rss_total_mb"] = round(_rss_mb(), 1)
    _log(f"memory: {result['rss_models_mb']} MB for Kiwi + models")

    ko_rows, _ = _heldout("ko", n_heldout)
    result["ko_heldout_n"] = len(ko_rows)
    result["ko_heldout_accuracy"] = _accuracy(ko_rows)
    result["ko_heldout_no_lexicon"] = _no_lexicon_accuracy("ko", ko_rows)
    result["ko_model_heldout_accuracy"] = load_model("ko").meta["heldout_accuracy"]
    _log(
        f"ko held-out: {result['ko_heldout_accuracy']} (no lexicon "
        f"{result['ko_heldout_no_lexicon']}, n={len(ko_rows)})"
    )
    shopping = _tsv("shopping_ko_eval.tsv")
    result["ko_shopping_n"] = len(shopping)
    result["ko_shopping_accuracy"] = _accuracy(shopping)
    result["ko_shopping_no_lexicon"] = _no_lexicon_accuracy("ko", shopping)
    en_rows, _ = _heldout("en", None)
    result["en_heldout_n"] = len(en_rows)
    result["en_heldout_accuracy"] = _accuracy(en_rows)
    comments = _tsv("comments_en_eval.tsv")
    result["en_comments_n"] = len(comments)
    result["en_comments_accuracy"] = _accuracy(comments)
    result["en_comments_no_lexicon"] = _no_lexicon_accuracy("en", comments)
    result["en_model_heldout_accuracy"] = load_model("en").meta["heldout_accuracy"]
    _log(
        f"accuracy: shopping {result['ko_shopping_accuracy']}, en held-out "
        f"{result['en_heldout_accuracy']}, en comments {result['en_comments_accuracy']}"
    )

    # Throughput on one core: Kiwi's worker thread and Python share it.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        result["cpus"] = 1
    for lang in ("ko", "en"):
        texts = _forty_char_texts(lang, n_speed)
        analyze_many(texts[:200])
        ours = _rate(lambda ts: analyze_many(ts, batch_size=512), texts)
        alone = _rate(tokenize_raw, texts)
        result[lang] = {
            "docs": len(texts),
            "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1), 1),
            "docs_per_s": ours,
            "kiwi_tokenize_docs_per_s": alone,
            "ratio": round(ours / alone, 3) if alone else None,
        }
        _log(f"{lang} throughput: {result[lang]}")

    from kiwipiepy import Kiwi

    default_kiwi = Kiwi(num_workers=1)
    texts = _forty_char_texts("ko", n_speed)
    default_kiwi.tokenize("")
    result["ko"]["kiwi_default_docs_per_s"] = _rate(
        lambda ts: list(default_kiwi.tokenize(ts)), texts
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
