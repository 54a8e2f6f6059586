"""Recommendations: a time-split offline evaluation against the popularity baseline.

    .venv/bin/python -m benchmarks.recommend [--quick]

The CDNOW log has no products, so the purchase histories are generated: customers
join and buy as the demo shop's generator has them (``dangol.customers.demo``: the
BG/NBD purchase process with the seasons of a Korean shop, its 40-product catalogue),
N customers (30,000; 5,000 with ``--quick``). Three ways of choosing what is in each order:

* ``taste`` — each customer mixes a few shared tastes (Dirichlet), each taste favours
  some products; the structure item-to-item filtering should find;
* ``taste_400_products`` — the same with ten variants of each product (400 products), as
  in a shop whose catalogue is larger than ten recommendations can cover by popularity;
* ``demo`` — the products of each order drawn uniformly, exactly as the demo
  generator does: no structure to find, so no method should beat popularity by more
  than noise. This is the control.

Orders before the split date (90 days before the end) train the model; the test asks,
for every customer who bought before the split and buys a product new to them after
it, whether that product is among their 10 recommendations. Both methods leave out
what the customer already bought. The item-to-item model uses the settings the
product uses by default (cosine with shrinkage 10, 50 neighbours, 180-day half-life, no
category boost: the generated tastes ignore categories, and a boost of 0.2 lowered the
hit-rate here). For scale, an oracle that ranks by each customer's true purchase
probabilities shows the ceiling on this data. ``ratio`` = item-to-item hit-rate@10 ÷
popularity hit-rate@10 on ``taste``; the difference of the two hit-rates has a 95 %
interval from the paired per-customer differences.
Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np

SEED = 20261124
SPLIT_DAYS = 90
N = 10


def _setup_django(data_dir: str) -> None:
    os.environ["DANGOL_DATA_DIR"] = data_dir
    os.environ.pop("DANGOL_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangol.config.settings")
    import django

    django.setup()


def generate(customers: int, *, mode: str, seed: int, variants: int = 1) -> dict[str, Any]:
    """Purchase lines (customer, product, day) of a demo-like shop; ``variants`` copies
    of each catalogue product (colours, sizes) make a larger catalogue."""
    from dangol.customers.demo import generate as demo
    from dangol.customers.demo.catalogue import PRODUCTS

    rng = np.random.default_rng(seed)
    now = datetime(2026, 11, 1)
    catalogue = [category for _v in range(variants) for category, _n, _p in PRODUCTS]
    n_items = len(catalogue)
    categories = sorted(set(catalogue))
    item_category = np.array([categories.index(c) for c in catalogue])
    tastes = 8
    base = rng.dirichlet(np.full(n_items, 0.15), size=tastes)  # each taste's products
    popularity = rng.dirichlet(np.full(n_items, 2.0))
    users, items, days, truth_p = [], [], [], []
    for u in range(customers):
        joined = now - timedelta(days=float(rng.uniform(0, demo.HISTORY_DAYS)))
        mix = rng.dirichlet(np.full(tastes, 0.25))
        p = 0.85 * (mix @ base) + 0.15 * popularity
        p /= p.sum()
        truth_p.append(np.full(n_items, 1 / n_items) if mode == "demo" else p)
        for at in demo._order_times(rng, joined, now):
            count = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
            if mode == "demo":
                picks = rng.choice(n_items, size=count, replace=False)
            else:
                picks = rng.choice(n_items, size=count, replace=False, p=p)
            day = (at - now).total_seconds() / 86400
            users.extend([u] * count)
            items.extend(int(i) for i in picks)
            days.extend([day] * count)
    return {"users": np.array(users), "items": np.array(items), "days": np.array(days),
            "n_users": customers, "n_items": n_items, "item_category": item_category,
            "p": np.array(truth_p)}


def evaluate(data: dict[str, Any]) -> dict[str, Any]:
    from dangol.stats import recommend as rec

    users, items, days = data["users"], data["items"], data["days"]
    started = time.perf_counter()
    result = rec.time_split_evaluation(users, items, days, split=-float(SPLIT_DAYS),
                                       n_users=data["n_users"], n_items=data["n_items"], n=N)
    seconds = time.perf_counter() - started
    ours, base = result.item_to_item, result.popularity
    diff, low, high = result.difference
    truth = result.test_truth
    # The ceiling: ranking by each customer's true purchase probabilities.
    # Uniform data has no true preferences: no ceiling to speak of.
    has_tastes = bool(np.ptp(data["p"]) > 0)
    true_p = np.where(result.train_bought.toarray() > 0, -1.0, data["p"][result.customers])
    oracle = rec.hit_rate_and_recall(np.argsort(-true_p, axis=1, kind="stable")[:, :N], truth)
    return {
        "lines": int(users.size), "customers_evaluated": ours.users,
        "item_to_item": {"hit_rate_at_10": round(ours.hit_rate, 4),
                         "recall_at_10": round(ours.recall, 4)},
        "popularity": {"hit_rate_at_10": round(base.hit_rate, 4),
                       "recall_at_10": round(base.recall, 4)},
        "oracle": {"hit_rate_at_10": round(oracle.hit_rate, 4),
                   "recall_at_10": round(oracle.recall, 4)} if has_tastes else None,
        "share_of_gap_to_oracle_closed": (
            round((ours.hit_rate - base.hit_rate) / (oracle.hit_rate - base.hit_rate), 3)
            if has_tastes and oracle.hit_rate > base.hit_rate else None),
        "hit_rate_difference": {"value": round(diff, 4), "ci95": [round(low, 4),
                                                                   round(high, 4)]},
        "hit_rate_ratio": round(ours.hit_rate / base.hit_rate, 3) if base.hit_rate else None,
        "recall_ratio": round(ours.recall / base.recall, 3) if base.recall else None,
        "evaluation_seconds": round(seconds, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 customers")
    args = parser.parse_args(argv)
    customers = 5_000 if args.quick else 30_000
    with tempfile.TemporaryDirectory() as data_dir:
        _setup_django(data_dir)
        results = {}
        for name, mode, variants in (("taste", "taste", 1), ("taste_400_products", "taste", 10),
                                     ("demo", "demo", 1)):
            data = generate(customers, mode=mode, seed=SEED, variants=variants)
            results[name] = evaluate(data)
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr)
    taste = results["taste"]
    print(json.dumps({
        "benchmark": "recommend", "customers": customers, "split_days": SPLIT_DAYS, "k": N,
        "item_to_item_hit_rate_at_10": taste["item_to_item"]["hit_rate_at_10"],
        "popularity_hit_rate_at_10": taste["popularity"]["hit_rate_at_10"],
        "item_to_item_recall_at_10": taste["item_to_item"]["recall_at_10"],
        "popularity_recall_at_10": taste["popularity"]["recall_at_10"],
        "ratio": taste["hit_rate_ratio"],
        "recall_ratio": taste["recall_ratio"],
        "oracle_hit_rate_at_10": taste["oracle"]["hit_rate_at_10"],
        "hit_rate_difference_ci95": taste["hit_rate_difference"]["ci95"],
        "ratio_400_products": results["taste_400_products"]["hit_rate_ratio"],
        "control_uniform_demo_ratio": results["demo"]["hit_rate_ratio"],
        "details": results,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
