"""Recommendations from purchase history: the stored build, per-customer picks, API, page."""

import math
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from dangol.core.errors import DomainError
from dangol.customers.models import OrderStatus, ProductSimilarity, RecommendationBuild
from dangol.customers.recommendations import (
    RecommendSettings,
    build_recommendations,
    evaluate_on_orders,
    recommend_for_customers,
)
from dangol.customers.tasks import build_recommendations_task
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

NO_SHRINK = RecommendSettings(shrinkage=0.0)


def buy(customer, *products, days_ago=10, status=OrderStatus.PLACED):
    order = OrderFactory(customer=customer, status=status,
                         ordered_at=timezone.now() - timedelta(days=days_ago))
    for number, product in enumerate(products, start=1):
        OrderLineFactory(order=order, line_no=number, product=product,
                         product_external_id=product.external_id, unit_price=Decimal(1000),
                         amount=Decimal(1000))
    return order


@pytest.fixture
def shop():
    """Shirts go with jeans (3 buyers), shirts with a coat once; soap sells alone."""
    p = {name: ProductFactory(name=name, external_id=name, category=category)
         for name, category in [("shirt", "clothes"), ("jeans", "clothes"),
                                ("coat", "clothes"), ("soap", "home")]}
    for _ in range(3):
        buy(CustomerFactory(), p["shirt"], p["jeans"])
    buy(CustomerFactory(), p["shirt"], p["coat"])
    for _ in range(5):
        buy(CustomerFactory(), p["soap"])
    return p


def test_build_stores_each_products_neighbours_with_their_similarity(shop):
    build = build_recommendations(config=NO_SHRINK)
    assert build.status == RecommendationBuild.Status.DONE
    assert (build.customers, build.products) == (9, 4)
    scores = {(s.product.name, s.similar.name): s.score
              for s in ProductSimilarity.objects.filter(build=build)
              .select_related("product", "similar")}
    # shirt: 4 buyers, jeans: 3, together 3 -> cosine 3 / sqrt(12).
    assert scores[("shirt", "jeans")] == pytest.approx(3 / math.sqrt(12))
    assert scores[("shirt", "coat")] == pytest.approx(1 / math.sqrt(4))
    assert ("shirt", "soap") not in scores
    # Soap sold most in the last 90 days.
    assert build.popular[0] == shop["soap"].pk


def test_building_in_chunks_of_customers_gives_the_same_similarities(shop):
    whole = build_recommendations(config=NO_SHRINK)
    expected = set(ProductSimilarity.objects.filter(build=whole)
                   .values_list("product_id", "similar_id", "score"))
    chunked = build_recommendations(config=RecommendSettings(shrinkage=0.0,
                                                             customers_per_chunk=2))
    got = set(ProductSimilarity.objects.filter(build=chunked)
              .values_list("product_id", "similar_id", "score"))
    assert {(a, b) for a, b, _ in got} == {(a, b) for a, b, _ in expected}
    for (a, b, score) in got:
        assert score == pytest.approx(dict(((x, y), s) for x, y, s in expected)[(a, b)])


def test_a_new_build_replaces_the_previous_one(shop):
    first = build_recommendations()
    second = build_recommendations()
    assert list(RecommendationBuild.objects.values_list("pk", flat=True)) == [second.pk]
    assert not ProductSimilarity.objects.filter(build_id=first.pk).exists()


def test_a_build_is_refused_while_another_runs(shop):
    RecommendationBuild.objects.create()
    with pytest.raises(DomainError) as error:
        build_recommendations()
    assert error.value.code == "build_running"
    assert RecommendationBuild.objects.count() == 1


def test_a_build_left_running_for_hours_no_longer_blocks(shop):
    stale = RecommendationBuild.objects.create()
    RecommendationBuild.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(hours=7))
    build = build_recommendations()
    assert build.status == RecommendationBuild.Status.DONE


def test_customer_who_bought_a_shirt_is_offered_jeans_first(shop):
    build_recommendations()
    customer = CustomerFactory()
    buy(customer, shop["shirt"])
    picks = recommend_for_customers([customer.pk], n=3, explain=True)[customer.pk]
    assert [p.name for p in picks] == ["jeans", "coat", "soap"]
    assert [p.reason for p in picks] == ["similar", "similar", "popular"]
    assert picks[0].because_of == "shirt"
    assert "shirt" not in [p.name for p in picks]


def test_products_already_bought_are_not_offered_unless_their_category_repeats(shop):
    build_recommendations()
    customer = CustomerFactory()
    buy(customer, shop["shirt"], shop["soap"])
    picks = recommend_for_customers([customer.pk], n=4)[customer.pk]
    assert {p.name for p in picks} == {"jeans", "coat"}
    repeat = RecommendSettings(repeat_categories=("home",))
    picks = recommend_for_customers([customer.pk], n=4, config=repeat)[customer.pk]
    assert "soap" in {p.name for p in picks}


def test_inactive_products_are_never_offered(shop):
    build_recommendations()
    shop["jeans"].active = False
    shop["jeans"].save()
    customer = CustomerFactory()
    buy(customer, shop["shirt"])
    picks = recommend_for_customers([customer.pk], n=5)[customer.pk]
    assert "jeans" not in {p.name for p in picks}
    assert picks[0].name == "coat"


def test_cancelled_orders_do_not_count(shop):
    customer = CustomerFactory()
    buy(customer, shop["coat"], status=OrderStatus.CANCELLED)
    build_recommendations()
    picks = recommend_for_customers([customer.pk], n=4)[customer.pk]
    # The cancelled coat is neither history nor excluded: the customer is new.
    assert all(p.reason == "popular" for p in picks)
    assert picks[0].name == "soap"


def test_recent_purchases_weigh_more(shop):
    # Coat -> shirt (0.5) is a stronger link than soap -> towel (1 / sqrt(6)); a customer
    # who bought the coat over a year ago and soap last week gets the towel first when
    # old purchases fade, the shirt when they do not.
    extra = ProductFactory(name="towel", external_id="towel", category="home")
    buy(CustomerFactory(), shop["soap"], extra)
    build_recommendations(config=RecommendSettings(shrinkage=0.0))
    customer = CustomerFactory()
    buy(customer, shop["coat"], days_ago=400)
    buy(customer, shop["soap"], days_ago=3)
    config = RecommendSettings(half_life_days=30)
    picks = recommend_for_customers([customer.pk], n=2, config=config)[customer.pk]
    assert picks[0].name == "towel"
    slow = RecommendSettings(half_life_days=100_000)
    picks = recommend_for_customers([customer.pk], n=2, config=slow)[customer.pk]
    assert picks[0].name == "shirt"


def test_new_customers_get_best_sellers_even_before_the_first_build(shop):
    customer = CustomerFactory()
    picks = recommend_for_customers([customer.pk], n=2)[customer.pk]
    assert [p.name for p in picks] == ["soap", "shirt"]
    assert all(p.reason == "popular" for p in picks)


def test_many_customers_cost_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    build_recommendations()
    customers = [CustomerFactory() for _ in range(30)]
    for number, customer in enumerate(customers):
        buy(customer, [shop["shirt"], shop["coat"], shop["soap"]][number % 3])
    with django_assert_max_num_queries(5):
        found = recommend_for_customers([c.pk for c in customers], n=3)
    assert len(found) == 30 and all(len(v) == 3 for v in found.values())


# --- API and page -----------------------------------------------------------------------


def test_api_lists_a_customers_recommendations(api, shop):
    build = build_recommendations()
    customer = CustomerFactory(external_id="C-77")
    buy(customer, shop["shirt"])
    response = api.get("/api/customers/C-77/recommendations?limit=2")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["customer_id"] == "C-77"
    assert body["computed_at"].startswith(build.finished_at.isoformat()[:19])
    assert [(i["product_id"], i["reason"], i["because_of"]) for i in body["items"]] == [
        ("jeans", "similar", "shirt"), ("coat", "similar", "shirt")]


def test_api_refuses_unknown_customers_and_bad_limits(api, shop):
    assert api.get("/api/customers/NOPE/recommendations").status_code == 404
    CustomerFactory(external_id="C-1")
    response = api.get("/api/customers/C-1/recommendations?limit=0")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_api_needs_a_key_or_login(client, shop):
    CustomerFactory(external_id="C-1")
    assert client.get("/api/customers/C-1/recommendations").status_code == 401


def test_customer_page_shows_recommendations(owner_client, shop):
    build_recommendations()
    customer = CustomerFactory()
    buy(customer, shop["shirt"])
    page = owner_client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Recommended for this customer" in html
    assert 'data-product="jeans"' in html
    assert "bought with shirt by other customers" in html
    assert 'data-product="shirt"' not in html


def test_customer_page_without_orders_anywhere_says_so(owner_client):
    customer = CustomerFactory()
    page = owner_client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Nothing to recommend yet" in page.content.decode()


def test_evaluation_on_the_shops_orders_finds_the_structure_popularity_misses():
    # Two kinds of customers: each buys two of "their" products before the split and a
    # third one after; best-sellers are the other kind's products for half of them.
    group_a = [ProductFactory(name=f"a{k}", external_id=f"a{k}") for k in range(4)]
    group_b = [ProductFactory(name=f"b{k}", external_id=f"b{k}") for k in range(4)]
    rng = np.random.default_rng(7)
    for number in range(40):
        own = group_a if number % 2 else group_b
        customer = CustomerFactory()
        first, second, later = (own[k] for k in rng.permutation(4)[:3])
        buy(customer, first, second, days_ago=200)
        buy(customer, later, days_ago=20)
    # Extra buyers make group b's products the best-sellers overall.
    for number in range(30):
        buy(CustomerFactory(), group_b[number % 4], days_ago=150)
    result = evaluate_on_orders(test_days=60, n=2)
    assert result.customers_evaluated == 40
    assert result.item_to_item_hit_rate > result.popularity_hit_rate + 0.3
    assert result.difference_low > 0


def test_evaluation_without_orders_says_so():
    with pytest.raises(DomainError) as error:
        evaluate_on_orders()
    assert error.value.code == "no_orders"


def test_the_nightly_task_builds_and_leaves_a_running_build_alone(shop):
    build_recommendations_task.delay()
    assert RecommendationBuild.objects.get().status == RecommendationBuild.Status.DONE
    running = RecommendationBuild.objects.create()
    build_recommendations_task.delay()  # refused quietly: one build at a time
    assert RecommendationBuild.objects.filter(status="running").get() == running
