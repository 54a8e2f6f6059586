"""Product recommendations from purchase history (item-to-item collaborative filtering).

Two halves, for millions of members:

* :func:`build_recommendations` (nightly, on a worker) reads the distinct
  (customer, product) pairs of placed orders in chunks of customers, straight from SQL,
  adds up each chunk's co-occurrence counts (products × products, so memory depends on
  the catalogue, not on the members), turns them into similarities
  (:mod:`dangol.stats.recommend`) and stores each product's best neighbours, with the
  recently most popular products for customers without history;
* :func:`recommend_for_customers` scores any set of customers on demand from their own
  purchases (one grouped query) and the stored neighbours of what they bought: a
  customer page or a chunk of campaign recipients costs a few small queries.

Settings: ``RECOMMENDATIONS`` in Django settings, a dict overriding the fields of
:class:`RecommendSettings`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from dangol.core.errors import DomainError
from dangol.customers.models import (
    Customer,
    OrderLine,
    OrderStatus,
    Product,
    ProductSimilarity,
    RecommendationBuild,
)
from dangol.stats import recommend as rec

logger = logging.getLogger(__name__)

SAVE_BATCH = 5000
POPULAR_KEPT = 200


@dataclass(frozen=True)
class RecommendSettings:
    method: str = "cosine"
    shrinkage: float = 10.0
    neighbours: int = 50
    # Orders older than this are left out of the similarities.
    history_days: int = 730
    # A purchase this many days old counts half as much as one today.
    half_life_days: float = 180.0
    # "Popular" for customers without history: buyers in this many recent days.
    popular_days: int = 90
    # Multiplies scores of products in categories the customer buys from by 1 + boost.
    category_boost: float = 0.0
    # Products in these categories (consumables) may be recommended again.
    repeat_categories: tuple[str, ...] = ()
    customers_per_chunk: int = 50_000
    # A running build older than this is taken for dead, and another may start.
    stale_build_hours: int = 6


def recommend_settings() -> RecommendSettings:
    overrides: dict[str, Any] = dict(getattr(settings, "RECOMMENDATIONS", {}) or {})
    known = {f.name for f in fields(RecommendSettings)}
    values = {k: v for k, v in overrides.items() if k in known}
    if "repeat_categories" in values:
        values["repeat_categories"] = tuple(values["repeat_categories"])
    return replace(RecommendSettings(), **values)


# --- build (writes) ---------------------------------------------------------------------


def build_recommendations(*, now: datetime | None = None,
                          config: RecommendSettings | None = None) -> RecommendationBuild:
    """Compute and store the product similarities and the popular list; replace the
    previous build when done.

    Refuses (DomainError ``build_running``, 409) while another build runs. A failure
    marks the build failed with the reason and leaves the previous build in use. Safe to
    run twice: each run writes a new build.
    """
    config = config or recommend_settings()
    now = now or timezone.now()
    since = now - timedelta(days=config.history_days)
    with transaction.atomic():
        running = (RecommendationBuild.objects.select_for_update()
                   .filter(status=RecommendationBuild.Status.RUNNING))
        if running.filter(created_at__gt=now - timedelta(hours=config.stale_build_hours)
                          ).exists():
            raise DomainError("Recommendations are being computed already.",
                              code="build_running", status=409)
        running.update(status=RecommendationBuild.Status.FAILED, finished_at=now,
                       error="Stopped without finishing.")
        build = RecommendationBuild.objects.create(
            orders_since=since,
            params={f.name: getattr(config, f.name) for f in fields(RecommendSettings)})
    try:
        _compute(build, config=config, since=since, now=now)
    except Exception as error:
        logger.exception("recommendation build %s failed", build.pk)
        RecommendationBuild.objects.filter(pk=build.pk).update(
            status=RecommendationBuild.Status.FAILED, finished_at=timezone.now(),
            error=str(error)[:2000])
        raise
    build.refresh_from_db()
    return build


def _placed_lines(since: datetime) -> Any:
    return OrderLine.objects.filter(order__status=OrderStatus.PLACED,
                                    order__ordered_at__gte=since, product__isnull=False)


def _compute(build: RecommendationBuild, *, config: RecommendSettings, since: datetime,
             now: datetime) -> None:
    product_ids = np.array(sorted(Product.objects.values_list("pk", flat=True)),
                           dtype=np.int64)
    n_items = product_ids.size
    cooc = sp.csr_matrix((n_items, n_items))
    customers = 0
    bounds = _placed_lines(since).aggregate(lo=Min("order__customer_id"),
                                            hi=Max("order__customer_id"))
    if n_items and bounds["lo"] is not None:
        for lo in range(bounds["lo"], bounds["hi"] + 1, config.customers_per_chunk):
            hi = lo + config.customers_per_chunk
            pairs = np.array(list(
                _placed_lines(since)
                .filter(order__customer_id__gte=lo, order__customer_id__lt=hi)
                .values_list("order__customer_id", "product_id").distinct()),
                dtype=np.int64).reshape(-1, 2)
            if not pairs.size:
                continue
            users, user_index = np.unique(pairs[:, 0], return_inverse=True)
            bought = rec.interaction_matrix(
                user_index, np.searchsorted(product_ids, pairs[:, 1]),
                n_users=users.size, n_items=n_items)
            cooc = cooc + rec.cooccurrence(bought)
            customers += int(users.size)
    similarity = rec.item_similarity(cooc, method=config.method,  # type: ignore[arg-type]
                                     shrinkage=config.shrinkage, top_k=config.neighbours,
                                     n_users=max(customers, 1)).tocoo()
    popular = list(
        _placed_lines(now - timedelta(days=config.popular_days))
        .filter(product__active=True)
        .values("product_id").annotate(buyers=Count("order__customer_id", distinct=True))
        .order_by("-buyers", "product_id").values_list("product_id", flat=True)[:POPULAR_KEPT])
    rows = product_ids[similarity.row].tolist()
    cols = product_ids[similarity.col].tolist()
    scores = similarity.data.tolist()
    for start in range(0, len(rows), SAVE_BATCH):
        end = start + SAVE_BATCH
        ProductSimilarity.objects.bulk_create([
            ProductSimilarity(build=build, product_id=p, similar_id=s, score=v)
            for p, s, v in zip(rows[start:end], cols[start:end], scores[start:end],
                               strict=True)])
    with transaction.atomic():
        RecommendationBuild.objects.filter(pk=build.pk).update(
            status=RecommendationBuild.Status.DONE, finished_at=timezone.now(),
            customers=customers, products=int(np.count_nonzero(cooc.diagonal())),
            pairs=len(rows), popular=popular)
        # The older builds (and their similarities) are no longer read.
        (RecommendationBuild.objects.exclude(pk=build.pk)
         .exclude(status=RecommendationBuild.Status.RUNNING).delete())


# --- reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    product_id: int
    external_id: str
    name: str
    category: str
    score: float
    # "similar": from what the customer bought; "popular": from the popular list.
    reason: str
    because_of: str = ""


def find_current_build() -> RecommendationBuild | None:
    return (RecommendationBuild.objects.filter(status=RecommendationBuild.Status.DONE)
            .order_by("-finished_at", "-pk").first())


def recommend_for_customers(customer_ids: Sequence[int], *, n: int = 10,
                            now: datetime | None = None,
                            config: RecommendSettings | None = None,
                            explain: bool = False) -> dict[int, list[Recommendation]]:
    """The ``n`` best products for each customer, best first.

    Scores come from the customer's purchases (time-decayed) and the current build's
    neighbours; products they bought (unless in a repeat category) and inactive
    products are left out; places left are filled from the recent best-sellers. Before
    any build exists every customer gets the best-sellers, counted now. A few queries
    for any number of customers (send them in chunks of some thousands). ``explain``
    names, for each product from similarity, the purchase that pointed to it most.
    """
    config = config or recommend_settings()
    now = now or timezone.now()
    ids = list(dict.fromkeys(int(c) for c in customer_ids))
    if not ids:
        return {}
    build = find_current_build()
    history = list(
        _placed_lines(now - timedelta(days=config.history_days))
        .filter(order__customer_id__in=ids)
        .values_list("order__customer_id", "product_id")
        .annotate(last=Max("order__ordered_at")))
    bought_ids = {p for _c, p, _at in history}
    if build is not None:
        neighbours = list(ProductSimilarity.objects.filter(build=build,
                                                           product_id__in=bought_ids)
                          .values_list("product_id", "similar_id", "score"))
        popular_ids = [int(p) for p in build.popular]
    else:
        neighbours = []
        popular_ids = list(
            _placed_lines(now - timedelta(days=config.popular_days))
            .filter(product__active=True)
            .values("product_id").annotate(buyers=Count("order__customer_id", distinct=True))
            .order_by("-buyers", "product_id")
            .values_list("product_id", flat=True)[:POPULAR_KEPT])
    involved = sorted(bought_ids | {s for _p, s, _v in neighbours} | set(popular_ids))
    products = {p.pk: p for p in Product.objects.filter(pk__in=involved)}
    involved = [p for p in involved if p in products]
    if not involved:
        return {c: [] for c in ids}
    index = {p: i for i, p in enumerate(involved)}
    n_items = len(involved)
    user_of = {c: u for u, c in enumerate(ids)}
    hist_rows = [(user_of[c], index[p], (now - at).total_seconds() / 86400)
                 for c, p, at in history if p in index]
    h_users, h_items, h_age = (np.array(col, dtype=np.float64) for col in (
        zip(*hist_rows, strict=True) if hist_rows else ([], [], [])))
    weights = rec.decay_weights(h_age, config.half_life_days)
    hist = rec.interaction_matrix(h_users.astype(np.int64), h_items.astype(np.int64),
                                  n_users=len(ids), n_items=n_items, weights=weights)
    nb = [(index[p], index[s], v) for p, s, v in neighbours if p in index and s in index]
    sim = sp.csr_matrix(
        ([v for _p, _s, v in nb], ([p for p, _s, _v in nb], [s for _p, s, _v in nb])),
        shape=(n_items, n_items))
    categories = sorted({products[p].category for p in involved if products[p].category})
    cat_index = {c: i for i, c in enumerate(categories)}
    item_category = np.array([cat_index.get(products[p].category, -1) for p in involved])
    repeat = set(config.repeat_categories)
    result = rec.recommend(
        hist, sim, n=n,
        repeatable=np.array([products[p].category in repeat for p in involved]),
        allowed=np.array([products[p].active for p in involved]),
        item_category=item_category, category_boost=config.category_boost,
        popular=np.array([index[p] for p in popular_ids if p in index], dtype=np.int64))
    because = _strongest_reason(hist, sim, result.items) if explain else {}
    out: dict[int, list[Recommendation]] = {}
    for c, u in user_of.items():
        picks = []
        for rank, item in enumerate(result.items[u].tolist()):
            if item == rec.NO_ITEM:
                break
            product = products[involved[item]]
            similar = bool(result.from_similarity[u, rank])
            reason_item = because.get((u, item))
            picks.append(Recommendation(
                product_id=product.pk, external_id=product.external_id, name=product.name,
                category=product.category, score=round(float(result.scores[u, rank]), 6),
                reason="similar" if similar else "popular",
                because_of=(products[involved[reason_item]].name
                            if similar and reason_item is not None else "")))
        out[c] = picks
    return out


def _strongest_reason(hist: sp.csr_matrix, sim: sp.csr_matrix,
                      items: np.ndarray) -> dict[tuple[int, int], int]:
    """For each (customer, recommended item): the purchase that contributed most."""
    reasons: dict[tuple[int, int], int] = {}
    sim_csc = sim.tocsc()
    for u in range(hist.shape[0]):
        bought = hist.indices[hist.indptr[u]:hist.indptr[u + 1]]
        weight = hist.data[hist.indptr[u]:hist.indptr[u + 1]]
        if not bought.size:
            continue
        for item in items[u].tolist():
            if item == rec.NO_ITEM:
                break
            column = sim_csc[:, item].toarray().ravel()[bought] * weight
            if column.max() > 0:
                reasons[(u, item)] = int(bought[int(np.argmax(column))])
    return reasons


def recommend_for_customer(customer: Customer, *, n: int = 10) -> list[Recommendation]:
    return recommend_for_customers([customer.pk], n=n, explain=True)[customer.pk]


# --- offline evaluation on the shop's own orders ------------------------------------------


@dataclass(frozen=True)
class ShopEvaluation:
    split_at: datetime
    customers_evaluated: int
    item_to_item_hit_rate: float
    popularity_hit_rate: float
    item_to_item_recall: float
    popularity_recall: float
    difference: float
    difference_low: float
    difference_high: float


def evaluate_on_orders(*, test_days: int = 90, n: int = 10, now: datetime | None = None,
                       config: RecommendSettings | None = None) -> ShopEvaluation:
    """Would item-to-item have beaten the best-sellers here? Train on the orders before
    ``test_days`` ago, test on the products new to each customer bought since
    (hit-rate@n and recall@n, the difference with its paired 95 % interval).

    Reads the distinct (customer, product, day) purchases in chunks of customers.
    """
    config = config or recommend_settings()
    now = now or timezone.now()
    since = now - timedelta(days=config.history_days)
    product_ids = np.array(sorted(Product.objects.values_list("pk", flat=True)),
                           dtype=np.int64)
    active = set(Product.objects.filter(active=True).values_list("pk", flat=True))
    bounds = _placed_lines(since).aggregate(lo=Min("order__customer_id"),
                                            hi=Max("order__customer_id"))
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    days: list[np.ndarray] = []
    n_users = 0
    if product_ids.size and bounds["lo"] is not None:
        now64 = np.datetime64(now.astimezone(UTC).replace(tzinfo=None), "s")
        for lo in range(bounds["lo"], bounds["hi"] + 1, config.customers_per_chunk):
            rows = list(_placed_lines(since)
                        .filter(order__customer_id__gte=lo,
                                order__customer_id__lt=lo + config.customers_per_chunk)
                        .values_list("order__customer_id", "product_id", "order__ordered_at")
                        .distinct())
            if not rows:
                continue
            customer_col, product_col, at_col = zip(*rows, strict=True)
            found, user_index = np.unique(np.array(customer_col, dtype=np.int64),
                                          return_inverse=True)
            at = np.array([a.astimezone(UTC).replace(tzinfo=None) for a in at_col],
                          dtype="datetime64[s]")
            users.append(user_index + n_users)
            items.append(np.searchsorted(product_ids, np.array(product_col, dtype=np.int64)))
            days.append((at - now64).astype(np.float64) / 86400.0)
            n_users += int(found.size)
    if not users:
        raise DomainError("There are no orders with products to evaluate on.",
                          code="no_orders", status=422)
    result = rec.time_split_evaluation(
        np.concatenate(users), np.concatenate(items), np.concatenate(days),
        split=-float(test_days), n_users=n_users, n_items=int(product_ids.size), n=n,
        method=config.method,  # type: ignore[arg-type]
        shrinkage=config.shrinkage, top_k=config.neighbours,
        half_life_days=config.half_life_days,
        allowed=np.isin(product_ids, np.array(sorted(active), dtype=np.int64)))
    diff, low, high = result.difference
    return ShopEvaluation(
        split_at=now - timedelta(days=test_days),
        customers_evaluated=result.item_to_item.users,
        item_to_item_hit_rate=result.item_to_item.hit_rate,
        popularity_hit_rate=result.popularity.hit_rate,
        item_to_item_recall=result.item_to_item.recall,
        popularity_recall=result.popularity.recall,
        difference=diff, difference_low=low, difference_high=high)
