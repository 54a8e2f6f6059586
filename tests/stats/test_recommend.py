"""Item-to-item recommendations on small hand-made matrices with known answers."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from dangol.stats import recommend as rec
from dangol.stats.errors import StatsError

# Four customers, four products:
#   c0 bought 0, 1;  c1 bought 0, 1;  c2 bought 0, 2;  c3 bought 3.
USERS = [0, 0, 1, 1, 2, 2, 3]
ITEMS = [0, 1, 0, 1, 0, 2, 3]


def bought():
    return rec.interaction_matrix(USERS, ITEMS, n_users=4, n_items=4)


def test_cooccurrence_counts_customers_who_bought_both():
    cooc = rec.cooccurrence(bought()).toarray()
    assert cooc.tolist() == [[3, 2, 1, 0], [2, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]]


def test_cooccurrence_of_chunks_adds_up_to_the_whole():
    x = bought()
    whole = rec.cooccurrence(x)
    parts = rec.cooccurrence(x[:2]) + rec.cooccurrence(x[2:])
    assert (whole != parts).nnz == 0


def test_repeated_purchases_count_once_in_the_bought_matrix():
    x = rec.interaction_matrix([0, 0, 0], [1, 1, 1], n_users=1, n_items=2)
    assert x.toarray().tolist() == [[0, 1]]


def test_weighted_matrix_keeps_the_most_recent_weight_of_a_pair():
    x = rec.interaction_matrix([0, 0], [1, 1], n_users=1, n_items=2, weights=[0.25, 0.5])
    assert x.toarray().tolist() == [[0, 0.5]]


def test_cosine_similarity_without_shrinkage():
    sim = rec.item_similarity(rec.cooccurrence(bought()), shrinkage=0, top_k=None).toarray()
    assert sim[0, 1] == pytest.approx(2 / math.sqrt(3 * 2))
    assert sim[0, 2] == pytest.approx(1 / math.sqrt(3 * 1))
    assert sim[1, 2] == 0 and sim[0, 3] == 0
    assert np.allclose(np.diag(sim), 0)
    assert np.allclose(sim, sim.T)


def test_shrinkage_pulls_down_pairs_seen_rarely():
    plain = rec.item_similarity(rec.cooccurrence(bought()), shrinkage=0, top_k=None).toarray()
    shrunk = rec.item_similarity(rec.cooccurrence(bought()), shrinkage=2, top_k=None).toarray()
    assert shrunk[0, 1] == pytest.approx(plain[0, 1] * 2 / (2 + 2))
    assert shrunk[0, 2] == pytest.approx(plain[0, 2] * 1 / (1 + 2))
    # Pair (0, 1) was bought together twice, (0, 2) once: the gap widens.
    assert shrunk[0, 1] / shrunk[0, 2] > plain[0, 1] / plain[0, 2]


def test_lift_similarity():
    sim = rec.item_similarity(rec.cooccurrence(bought()), method="lift", shrinkage=0,
                              top_k=None, n_users=4).toarray()
    assert sim[0, 1] == pytest.approx(2 * 4 / (3 * 2))
    assert sim[0, 2] == pytest.approx(1 * 4 / (3 * 1))


def test_lift_needs_the_number_of_customers():
    with pytest.raises(StatsError, match="n_users"):
        rec.item_similarity(rec.cooccurrence(bought()), method="lift")


def test_top_k_keeps_the_largest_of_each_row():
    matrix = sp.csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0], [1, 1, 1, 0]], float))
    kept = rec.keep_top_k(matrix, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 2], [5, 0, 0, 0], [1, 1, 0, 0]]


def test_recommends_what_similar_customers_bought_and_not_what_was_bought():
    x = bought()
    sim = rec.item_similarity(rec.cooccurrence(x), shrinkage=0, top_k=None)
    # A new customer who bought product 1 only: product 0 (bought with 1 twice) first.
    history = rec.interaction_matrix([0], [1], n_users=1, n_items=4)
    result = rec.recommend(history, sim, n=2)
    assert result.items[0].tolist() == [0, rec.NO_ITEM]
    assert result.scores[0, 0] == pytest.approx(2 / math.sqrt(6))
    # Customer c2 (bought 0 and 2) gets 1, never 0 or 2 again.
    result = rec.recommend(x, sim, n=3)
    assert result.items[2].tolist() == [1, rec.NO_ITEM, rec.NO_ITEM]


def test_recent_purchases_weigh_more():
    # Products 0-1 go together, 2-3 go together; the customer bought 0 long ago and 2
    # last week: 3 must come before 1.
    sim = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
                                 float))
    weights = rec.decay_weights([365, 7], half_life_days=90)
    history = rec.interaction_matrix([0, 0], [0, 2], n_users=1, n_items=4, weights=weights)
    assert rec.recommend(history, sim, n=2).items[0].tolist() == [3, 1]
    no_decay = rec.interaction_matrix([0, 0], [2, 0], n_users=1, n_items=4,
                                      weights=rec.decay_weights([365, 7], None))
    assert rec.recommend(no_decay, sim, n=2).items[0].tolist() == [1, 3]


def test_decay_halves_at_the_half_life():
    assert rec.decay_weights([0, 30, 60], 30).tolist() == [1.0, 0.5, 0.25]


def test_consumables_may_be_recommended_again():
    sim = sp.csr_matrix(np.array([[0, 1], [1, 0]], float))
    history = rec.interaction_matrix([0, 0], [0, 1], n_users=1, n_items=2)
    assert rec.recommend(history, sim, n=2).items[0].tolist() == [rec.NO_ITEM] * 2
    again = rec.recommend(history, sim, n=2, repeatable=np.array([False, True]))
    assert again.items[0].tolist() == [1, rec.NO_ITEM]


def test_inactive_products_are_never_recommended():
    x = bought()
    sim = rec.item_similarity(rec.cooccurrence(x), shrinkage=0, top_k=None)
    allowed = np.array([True, False, True, True])
    result = rec.recommend(x, sim, n=3, allowed=allowed, popular=rec.popularity(x))
    assert 1 not in result.items


def test_category_boost_lifts_products_of_categories_the_customer_buys():
    # Product 0 bought; 1 and 2 equally similar to it; 2 shares 0's category.
    sim = sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], float))
    history = rec.interaction_matrix([0], [0], n_users=1, n_items=3)
    category = np.array([7, 3, 7])
    assert rec.recommend(history, sim, n=2).items[0].tolist() == [1, 2]
    boosted = rec.recommend(history, sim, n=2, item_category=category, category_boost=0.5)
    assert boosted.items[0].tolist() == [2, 1]
    assert boosted.scores[0].tolist() == [1.5, 1.0]


def test_new_customers_get_the_popular_products():
    x = bought()
    sim = rec.item_similarity(rec.cooccurrence(x), shrinkage=0, top_k=None)
    popular = rec.popularity(x)
    assert popular.tolist() == [0, 1, 2, 3]
    empty = sp.csr_matrix((1, 4))
    result = rec.recommend(empty, sim, n=3, popular=popular)
    assert result.items[0].tolist() == [0, 1, 2]
    assert not result.from_similarity.any()


def test_popularity_fills_places_the_similarities_leave_empty():
    x = bought()
    sim = rec.item_similarity(rec.cooccurrence(x), shrinkage=0, top_k=None)
    result = rec.recommend(x, sim, n=3, popular=rec.popularity(x))
    # c3 bought only product 3, which nobody else bought: all from popularity.
    assert result.items[3].tolist() == [0, 1, 2]
    # c2: product 1 from similarity, then 3 (the only one left) from popularity.
    assert result.items[2].tolist() == [1, 3, rec.NO_ITEM]
    assert result.from_similarity[2].tolist() == [True, False, False]


def test_hit_rate_and_recall():
    items = np.array([[0, 1], [2, 3], [1, rec.NO_ITEM], [0, 1]])
    truth = rec.interaction_matrix([0, 0, 1, 2, 2], [1, 3, 0, 1, 2], n_users=4, n_items=4)
    result = rec.hit_rate_and_recall(items, truth)
    # Customer 3 bought nothing afterwards and is not counted.
    assert result.users == 3
    assert result.hit_rate == pytest.approx(2 / 3)
    assert result.recall == pytest.approx((1 / 2 + 0 + 1 / 2) / 3)


def _structured_purchases(seed):
    """Two groups of customers with their own products, plus a few best-sellers."""
    rng = np.random.default_rng(seed)
    users, items, days = [], [], []
    for u in range(600):
        group = u % 2
        own = np.arange(10) + 10 * group  # products 0-9 or 10-19
        for k in range(int(rng.integers(2, 6))):
            pool = own if rng.random() < 0.85 else np.arange(20, 24)
            items.append(int(rng.choice(pool)))
            users.append(u)
            days.append(float(rng.uniform(-300, 0)))
    return np.array(users), np.array(items), np.array(days)


def test_time_split_evaluation_beats_popularity_on_data_with_structure():
    users, items, days = _structured_purchases(seed=3)
    result = rec.time_split_evaluation(users, items, days, split=-60, n_users=600,
                                       n_items=24, n=5, shrinkage=5, top_k=10)
    ours, base = result.item_to_item, result.popularity
    assert ours.users > 100 and ours.users == base.users
    assert ours.hit_rate > base.hit_rate + 0.1
    assert ours.recall > base.recall
    diff, low, high = result.difference
    assert diff == pytest.approx(ours.hit_rate - base.hit_rate)
    assert 0 < low < diff < high


def test_time_split_evaluation_finds_nothing_to_gain_without_structure():
    rng = np.random.default_rng(5)
    users = np.repeat(np.arange(800), 4)
    items = rng.integers(0, 24, size=users.size)
    days = rng.uniform(-300, 0, size=users.size)
    result = rec.time_split_evaluation(users, items, days, split=-60, n_users=800,
                                       n_items=24, n=5)
    _diff, low, high = result.difference
    assert low < 0.03 and high > -0.03  # No more than noise either way.


def test_bad_input_is_refused():
    with pytest.raises(StatsError, match="outside"):
        rec.interaction_matrix([5], [0], n_users=2, n_items=2)
    with pytest.raises(StatsError, match="items × items"):
        rec.recommend(bought(), sp.csr_matrix((3, 3)))
    with pytest.raises(StatsError, match="half_life"):
        rec.decay_weights([1], 0)


def test_asymmetric_cosine_with_alpha_one_is_the_share_of_buyers_who_also_bought():
    sim = rec.item_similarity(rec.cooccurrence(bought()), shrinkage=0, top_k=None,
                              alpha=1.0).toarray()
    # Of the 3 buyers of product 0, 2 bought product 1; both buyers of 1 bought 0.
    assert sim[0, 1] == pytest.approx(2 / 3)
    assert sim[1, 0] == pytest.approx(1.0)


def test_paired_difference_of_hit_rates():
    truth = rec.interaction_matrix([0, 1, 2, 3], [0, 0, 0, 0], n_users=4, n_items=2)
    always = rec.hit_rate_and_recall(np.zeros((4, 1), dtype=np.int64), truth)
    half = rec.hit_rate_and_recall(np.array([[0], [0], [1], [1]]), truth)
    diff, low, high = rec.paired_hit_rate_difference(always, half)
    assert diff == pytest.approx(0.5)
    # Differences 0, 0, 1, 1: sd = 0.57735, half-width 1.96 · sd / 2.
    assert high - diff == pytest.approx(1.959964 * 0.5773503 / 2, rel=1e-5)
    assert low < diff < high
