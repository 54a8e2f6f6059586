"""Item-to-item collaborative filtering on purchase histories (numpy and scipy only).

The pieces, each usable on its own:

* :func:`interaction_matrix` — a sparse customer × product matrix from index arrays;
* :func:`cooccurrence` — ``XᵀX`` of the bought/not-bought matrix: how many customers
  bought both products (the diagonal: how many bought each). It is a sum over
  customers, so chunks of customers can be added up one after another;
* :func:`item_similarity` — cosine or lift between products, shrunk towards 0 when few
  customers bought both (``c / (c + shrinkage)``), the best ``top_k`` kept per product;
* :func:`recommend` — per customer, ``Σ_j w_j · sim[j, i]`` over the products ``j``
  they bought (``w`` decays with the age of the last purchase, :func:`decay_weights`),
  an optional boost for the categories they buy, what they bought and inactive
  products left out, then the best ``n``; customers with too few scored products are
  filled up from a popularity list;
* :func:`hit_rate_and_recall` — hit-rate@k and recall@k of recommendation lists
  against the products bought afterwards (for a time-split evaluation).

Nothing loops over purchases in Python: the work is sparse products and sorts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from dangol.stats.errors import StatsError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Method = Literal["cosine", "lift"]

NO_ITEM = -1


def interaction_matrix(users: npt.ArrayLike, items: npt.ArrayLike, *, n_users: int,
                       n_items: int, weights: npt.ArrayLike | None = None,
                       combine: Literal["max", "sum"] = "max") -> sp.csr_matrix:
    """Customers × products from parallel index arrays.

    Repeated (customer, product) pairs are combined by ``combine``: ``"max"`` keeps the
    largest weight (with no weights the matrix is 0/1: bought or not), ``"sum"`` adds.
    """
    u = np.asarray(users, dtype=np.int64)
    i = np.asarray(items, dtype=np.int64)
    if u.shape != i.shape:
        raise StatsError("users and items must have the same length")
    if u.size and (u.min() < 0 or u.max() >= n_users):
        raise StatsError("a user index is outside 0..n_users-1")
    if i.size and (i.min() < 0 or i.max() >= n_items):
        raise StatsError("an item index is outside 0..n_items-1")
    w = np.ones(u.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != u.shape:
        raise StatsError("weights must have the same length as users")
    if combine == "max" and u.size:
        # One entry per pair, the largest weight: sort by pair then weight, keep the last.
        key = u * n_items + i
        order = np.lexsort((w, key))
        key, w = key[order], w[order]
        last = np.r_[key[1:] != key[:-1], True]
        key, w = key[last], w[last]
        u, i = key // n_items, key % n_items
    matrix = sp.csr_matrix((w, (u, i)), shape=(n_users, n_items), dtype=np.float64)
    matrix.sum_duplicates()
    return matrix


def cooccurrence(bought: sp.spmatrix) -> sp.csr_matrix:
    """Products × products: customers who bought both (the diagonal: who bought each).

    Any non-zero entry of ``bought`` counts as bought. Adding the results of disjoint
    sets of customers gives the result of all of them.
    """
    binary = sp.csr_matrix(bought, dtype=np.float64, copy=True)
    binary.data[:] = 1.0
    binary.eliminate_zeros()
    return sp.csr_matrix(binary.T @ binary)


def item_similarity(cooc: sp.spmatrix, *, method: Method = "cosine", shrinkage: float = 10.0,
                    top_k: int | None = 50, n_users: int | None = None,
                    alpha: float = 0.5) -> sp.csr_matrix:
    """Similarity of products from their co-occurrence counts (:func:`cooccurrence`).

    ``cosine``: ``c_ij / (n_i^alpha · n_j^(1-alpha))`` — with ``alpha`` 0.5 the ordinary
    cosine; with ``alpha`` 1 the share of buyers of ``i`` who also bought ``j``, which
    favours best-sellers as candidates (the asymmetric cosine of Aiolli 2013); ``lift``:
    ``c_ij · N / (n_i · n_j)`` (needs ``n_users`` = N). Both are multiplied by
    ``c_ij / (c_ij + shrinkage)`` so a pair bought together by two customers does not
    outrank one bought together by two hundred. The diagonal is 0; each row keeps its
    ``top_k`` largest values.
    """
    if shrinkage < 0:
        raise StatsError("shrinkage must be 0 or more")
    if method not in ("cosine", "lift"):
        raise StatsError(f"unknown similarity method {method!r}; use cosine or lift")
    if not 0.0 <= alpha <= 1.0:
        raise StatsError("alpha must be between 0 and 1")
    if method == "lift" and not n_users:
        raise StatsError("lift needs n_users, the number of customers")
    counts = sp.csr_matrix(cooc, dtype=np.float64)
    if counts.shape[0] != counts.shape[1]:
        raise StatsError("the co-occurrence matrix must be square")
    n = np.asarray(counts.diagonal(), dtype=np.float64)
    coo = counts.tocoo()
    off = (coo.row != coo.col) & (coo.data > 0)
    row, col, c = coo.row[off], coo.col[off], coo.data[off]
    denominator = n[row] * n[col]
    if method == "cosine":
        value = c / (n[row] ** alpha * n[col] ** (1.0 - alpha))
    else:
        value = c * float(n_users or 0) / denominator
    if shrinkage > 0:
        value = value * c / (c + shrinkage)
    sim = sp.csr_matrix((value, (row, col)), shape=counts.shape)
    sim.sum_duplicates()
    return keep_top_k(sim, top_k) if top_k is not None else sim


def keep_top_k(matrix: sp.spmatrix, k: int) -> sp.csr_matrix:
    """The ``k`` largest entries of each row (ties broken by the lower column)."""
    if k < 1:
        raise StatsError("top_k must be at least 1")
    csr = sp.csr_matrix(matrix, copy=True)
    csr.sum_duplicates()
    csr.sort_indices()
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    order = np.lexsort((csr.indices, -csr.data, rows))
    rank = np.arange(csr.nnz) - csr.indptr[rows[order]]
    keep = np.sort(order[rank < k])
    kept = sp.csr_matrix((csr.data[keep], (rows[keep], csr.indices[keep])), shape=csr.shape)
    return kept


def decay_weights(age_days: npt.ArrayLike, half_life_days: float | None) -> FloatArray:
    """``0.5 ** (age / half_life)``: a purchase half a half-life ago counts 0.71, one
    half-life ago 0.5. ``None`` means no decay (every purchase counts 1)."""
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    if half_life_days is None:
        return np.ones_like(age)
    if half_life_days <= 0:
        raise StatsError("half_life_days must be positive")
    return np.asarray(0.5 ** (age / half_life_days), dtype=np.float64)


@dataclass(frozen=True)
class Recommendations:
    """``items[u]``: the recommended item indices of user ``u``, best first, padded with
    ``NO_ITEM``; ``scores`` the matching scores (0 for popularity fill-ins);
    ``from_similarity[u, r]`` whether the item came from the customer's purchases
    (False: from the popularity list)."""

    items: IntArray
    scores: FloatArray
    from_similarity: BoolArray


def recommend(history: sp.spmatrix, similarity: sp.spmatrix, *, n: int = 10,
              exclude_bought: bool = True, repeatable: BoolArray | None = None,
              allowed: BoolArray | None = None, item_category: IntArray | None = None,
              category_boost: float = 0.0, popular: IntArray | None = None) -> Recommendations:
    """Top ``n`` products for each row (customer) of ``history``.

    ``history[u, j]`` is the weight of product ``j`` for customer ``u`` (e.g. decayed
    recency, :func:`decay_weights`); ``similarity`` is products × products
    (:func:`item_similarity`). The score of product ``i`` is ``Σ_j history[u, j] ·
    similarity[j, i]``, times ``1 + category_boost`` when ``i``'s category
    (``item_category``, ``-1`` for none) is one the customer bought from.
    Products they bought are left out when ``exclude_bought`` (except those marked in
    ``repeatable``, e.g. consumables), and so are products not ``allowed`` (inactive).
    Places left over are filled from ``popular`` (item indices, most popular first)
    under the same exclusions.
    """
    if n < 1:
        raise StatsError("n must be at least 1")
    hist = sp.csr_matrix(history, dtype=np.float64)
    sim = sp.csr_matrix(similarity, dtype=np.float64)
    n_users, n_items = hist.shape
    if sim.shape != (n_items, n_items):
        raise StatsError("similarity must be items × items, as many items as history has")
    allowed_mask = np.ones(n_items, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    blocked = _blocked(hist, exclude_bought, repeatable)
    scores = sp.csr_matrix(hist @ sim)
    scores.sum_duplicates()
    coo = scores.tocoo()
    row, col, value = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    if category_boost and item_category is not None:
        value = value * _category_factor(hist, row, col, np.asarray(item_category, np.int64),
                                         category_boost)
    keep = (value > 0) & allowed_mask[col]
    if blocked.nnz:
        keep &= _lookup(blocked, row, col) == 0
    row, col, value = row[keep], col[keep], value[keep]
    items = np.full((n_users, n), NO_ITEM, dtype=np.int64)
    out_scores = np.zeros((n_users, n), dtype=np.float64)
    order = np.lexsort((col, -value, row))
    row, col, value = row[order], col[order], value[order]
    starts = np.searchsorted(row, np.arange(n_users))
    rank = np.arange(row.size) - starts[row]
    top = rank < n
    items[row[top], rank[top]] = col[top]
    out_scores[row[top], rank[top]] = value[top]
    from_similarity = items != NO_ITEM
    if popular is not None and len(popular):
        _fill_from_popular(items, np.asarray(popular, np.int64), blocked, allowed_mask)
    return Recommendations(items, out_scores, from_similarity)


def _lookup(matrix: sp.csr_matrix, row: IntArray, col: IntArray) -> FloatArray:
    """``matrix[row[k], col[k]]`` for each k (0 where the matrix has no entry)."""
    coo = sp.coo_matrix(matrix)
    width = np.int64(matrix.shape[1])
    keys = coo.row.astype(np.int64) * width + coo.col.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, data = keys[order], coo.data[order]
    wanted = np.asarray(row, np.int64) * width + np.asarray(col, np.int64)
    if keys.size == 0:
        return np.zeros(wanted.size)
    at = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    return np.where(keys[at] == wanted, data[at], 0.0)


def _blocked(hist: sp.csr_matrix, exclude_bought: bool,
             repeatable: BoolArray | None) -> sp.csr_matrix:
    if not exclude_bought:
        return sp.csr_matrix(hist.shape)
    blocked = hist.copy()
    blocked.data[:] = 1.0
    if repeatable is not None:
        rep = np.asarray(repeatable, bool)
        blocked.data[rep[blocked.indices]] = 0.0
    blocked.eliminate_zeros()
    return blocked


def _category_factor(hist: sp.csr_matrix, row: IntArray, col: IntArray, category: IntArray,
                     boost: float) -> FloatArray:
    """``1 + boost`` where the product's category is one the customer bought from."""
    known = category >= 0
    if not known.any():
        return np.ones(row.size)
    n_categories = int(category.max()) + 1
    item_cat = sp.csr_matrix((np.ones(int(known.sum())), (np.flatnonzero(known),
                             category[known])), shape=(hist.shape[1], n_categories))
    bought = hist.copy()
    bought.data[:] = 1.0
    user_cat = sp.csr_matrix(bought @ item_cat)
    cat = category[col]
    hit = np.zeros(row.size, dtype=bool)
    has = cat >= 0
    hit[has] = _lookup(user_cat, row[has], cat[has]) > 0
    return np.where(hit, 1.0 + boost, 1.0)


def _fill_from_popular(items: IntArray, popular: IntArray, blocked: sp.csr_matrix,
                       allowed: BoolArray) -> None:
    """Fill the ``NO_ITEM`` places of each row from ``popular``, skipping blocked items
    and items already in the row. Loops over the customers that need it, never over
    purchases."""
    popular = popular[allowed[popular]]
    n = items.shape[1]
    need = np.flatnonzero((items == NO_ITEM).any(axis=1))
    for u in need:
        row = items[u]
        free = np.flatnonzero(row == NO_ITEM)
        taken = set(row[row != NO_ITEM].tolist())
        taken.update(blocked.indices[blocked.indptr[u]:blocked.indptr[u + 1]].tolist())
        picks = [p for p in popular[: n + len(taken)].tolist() if p not in taken]
        if len(picks) < free.size:
            picks = [p for p in popular.tolist() if p not in taken]
        fill = picks[: free.size]
        row[free[: len(fill)]] = fill


def popularity(bought: sp.spmatrix) -> IntArray:
    """Item indices by the number of customers who bought them, most first (ties: lower
    index first); items nobody bought are left out."""
    binary = sp.csr_matrix(bought, dtype=np.float64, copy=True)
    binary.data[:] = 1.0
    counts = np.asarray(binary.sum(axis=0)).ravel()
    order = np.lexsort((np.arange(counts.size), -counts))
    return order[counts[order] > 0].astype(np.int64)


def popular_lists(popular: IntArray, bought: sp.spmatrix, *, n: int = 10,
                  exclude_bought: bool = True) -> IntArray:
    """The popularity baseline as recommendation lists: for each customer the ``n``
    most popular items they have not bought."""
    n_items = bought.shape[1]
    empty = sp.csr_matrix((n_items, n_items))
    return recommend(bought, empty, n=n, exclude_bought=exclude_bought,
                     popular=popular).items


@dataclass(frozen=True)
class Evaluation:
    """``hits``/``relevant`` per evaluated customer (in ``user_index`` order) allow paired
    comparisons of two methods on the same customers."""

    users: int
    hit_rate: float
    recall: float
    user_index: IntArray | None = None
    hits: FloatArray | None = None
    relevant: IntArray | None = None


def hit_rate_and_recall(items: IntArray, truth: sp.spmatrix) -> Evaluation:
    """Hit-rate@k (share of customers with at least one recommended product among their
    next purchases) and recall@k (mean share of their next products that were
    recommended), over the customers with at least one next purchase. ``items`` is
    users × k (``NO_ITEM`` for empty places), ``truth`` users × items (non-zero: bought
    in the test period)."""
    actual = sp.csr_matrix(truth, dtype=np.float64, copy=True)
    actual.data[:] = 1.0
    actual.eliminate_zeros()
    recs = np.asarray(items, dtype=np.int64)
    if recs.shape[0] != actual.shape[0]:
        raise StatsError("items and truth must have the same number of users")
    n_true = np.diff(actual.indptr)
    users = np.flatnonzero(n_true > 0)
    if users.size == 0:
        return Evaluation(0, 0.0, 0.0)
    r = np.repeat(np.arange(recs.shape[0]), recs.shape[1])
    c = recs.ravel()
    valid = c != NO_ITEM
    hits = _lookup(actual, r[valid], c[valid])
    per_user = np.bincount(r[valid], weights=hits, minlength=recs.shape[0])
    hit_rate = float(np.mean(per_user[users] > 0))
    recall = float(np.mean(per_user[users] / n_true[users]))
    return Evaluation(int(users.size), hit_rate, recall, users.astype(np.int64),
                      per_user[users].astype(np.float64), n_true[users].astype(np.int64))


def paired_hit_rate_difference(first: Evaluation, second: Evaluation,
                               z: float = 1.959964) -> tuple[float, float, float]:
    """Difference of hit-rates (first − second) on the same customers with its normal
    95 % interval from the paired per-customer differences: ``(diff, low, high)``."""
    if first.hits is None or second.hits is None or first.user_index is None \
            or second.user_index is None:
        raise StatsError("both evaluations need their per-customer hits")
    if not np.array_equal(first.user_index, second.user_index):
        raise StatsError("the evaluations must be of the same customers")
    d = (first.hits > 0).astype(float) - (second.hits > 0).astype(float)
    if d.size < 2:
        raise StatsError("at least two customers are needed")
    mean = float(d.mean())
    half = z * float(d.std(ddof=1)) / np.sqrt(d.size)
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class TimeSplitResult:
    """Item-to-item against popularity on the purchases after a split time."""

    item_to_item: Evaluation
    popularity: Evaluation
    # Hit-rate difference (item-to-item − popularity) and its paired 95 % interval.
    difference: tuple[float, float, float]
    # Customers who bought before the split (rows of the arrays below; the evaluations'
    # ``user_index`` counts within them), their two lists, later and earlier purchases.
    customers: IntArray
    model_items: IntArray
    popular_items: IntArray
    test_truth: sp.csr_matrix
    train_bought: sp.csr_matrix


def time_split_evaluation(users: npt.ArrayLike, items: npt.ArrayLike, days: npt.ArrayLike,
                          *, split: float, n_users: int, n_items: int, n: int = 10,
                          method: Method = "cosine", shrinkage: float = 10.0,
                          top_k: int = 50, half_life_days: float | None = 180.0,
                          allowed: BoolArray | None = None) -> TimeSplitResult:
    """Train on purchases before ``split`` (in days, like ``days``), then ask for each
    customer who bought before it and bought a product new to them after it whether
    that product is among their ``n`` recommendations — item-to-item and popularity."""
    u = np.asarray(users, dtype=np.int64)
    i = np.asarray(items, dtype=np.int64)
    d = np.asarray(days, dtype=np.float64)
    train = d < split
    bought = interaction_matrix(u[train], i[train], n_users=n_users, n_items=n_items)
    sim = item_similarity(cooccurrence(bought), method=method, shrinkage=shrinkage,
                          top_k=top_k, n_users=max(int(np.count_nonzero(np.diff(
                              bought.indptr))), 1))
    history = interaction_matrix(u[train], i[train], n_users=n_users, n_items=n_items,
                                 weights=decay_weights(split - d[train], half_life_days))
    popular = popularity(bought)
    model = recommend(history, sim, n=n, popular=popular, allowed=allowed).items
    baseline = recommend(bought, sp.csr_matrix((n_items, n_items)), n=n, popular=popular,
                         allowed=allowed).items
    after = interaction_matrix(u[~train], i[~train], n_users=n_users, n_items=n_items)
    new = sp.csr_matrix(after - after.multiply(bought))
    new.eliminate_zeros()
    keep = np.flatnonzero(np.diff(bought.indptr) > 0)
    truth = new[keep]
    ours = hit_rate_and_recall(model[keep], truth)
    base = hit_rate_and_recall(baseline[keep], truth)
    difference = (paired_hit_rate_difference(ours, base) if ours.users >= 2
                  else (ours.hit_rate - base.hit_rate, float("nan"), float("nan")))
    return TimeSplitResult(ours, base, difference, keep.astype(np.int64), model[keep],
                           baseline[keep], truth, sp.csr_matrix(bought[keep]))
