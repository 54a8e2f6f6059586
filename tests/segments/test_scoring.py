import random
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from dangol.customers.models import OrderStatus
from dangol.segments.models import ChurnRisk, CustomerScore, RFMSegment
from dangol.segments.selectors import explain_score, find_score
from dangol.segments.services import quintile_scores, score_customers
from dangol.segments.tasks import score_customers_task
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

AS_OF = timezone.make_aware(datetime(2025, 6, 30, 12, 0))


def buy(customer, days_ago: float, amount: int = 30000, **extra) -> None:
    OrderFactory(customer=customer, ordered_at=AS_OF - timedelta(days=days_ago),
                 total_amount=Decimal(amount), **extra)


def population() -> dict[str, object]:
    """Regular buyers, lapsed repeat buyers and one-time buyers, plus two known customers."""
    rng = random.Random(5)
    for _ in range(20):
        regular = CustomerFactory()
        # Each customer has a usual basket; Gamma-Gamma needs spend to differ by customer.
        basket = rng.randrange(15000, 70000)
        day = rng.uniform(1, 10)
        while day < 360:
            buy(regular, day, round(basket * rng.uniform(0.7, 1.3)))
            day += rng.uniform(15, 40)
    for _ in range(15):
        lapsed = CustomerFactory()
        basket = rng.randrange(15000, 70000)
        start = rng.uniform(300, 420)
        for k in range(rng.randrange(2, 4)):
            buy(lapsed, start - 20 * k, round(basket * rng.uniform(0.7, 1.3)))
    for _ in range(15):
        buy(CustomerFactory(), rng.uniform(1, 400), rng.randrange(20000, 60000))
    champion = CustomerFactory()
    for day in range(2, 300, 12):
        buy(champion, day, 80000)
    lost = CustomerFactory()
    buy(lost, 420, 20000)
    return {"champion": champion, "lost": lost}


def test_scores_give_sensible_segments_and_probabilities():
    known = population()

    result = score_customers(as_of=AS_OF)

    assert result.prediction_skipped_reason is None, result.prediction_skipped_reason
    assert result.customers_scored == CustomerScore.objects.count() == 52
    champion = CustomerScore.objects.get(customer=known["champion"])
    lost = CustomerScore.objects.get(customer=known["lost"])
    assert champion.rfm_segment == RFMSegment.CHAMPIONS
    assert (champion.R, champion.F, champion.M) == (5, 5, 5)
    assert lost.rfm_segment in {RFMSegment.LOST, RFMSegment.HIBERNATING}
    assert lost.R == 1 and lost.F == 1
    assert champion.p_alive > 0.9
    assert champion.churn_risk == ChurnRisk.LOW
    assert champion.expected_purchases_90d > 3
    assert champion.predicted_value_12m > Decimal("500000")
    assert lost.frequency == 0 and lost.order_count == 1
    assert all(0 <= p <= 1 for p in CustomerScore.objects.values_list("p_alive", flat=True))
    assert sum(result.segments.values()) == 52


def test_frequency_recency_and_age_are_counted_in_days_without_cancelled_orders():
    customer = CustomerFactory()
    buy(customer, 100, 10000)
    buy(customer, 40, 20000)
    buy(customer, 40.01, 30000)
    buy(customer, 5, 99000, status=OrderStatus.CANCELLED)
    buy(customer, 3, 99000, status=OrderStatus.REFUNDED)

    score_customers(as_of=AS_OF)

    score = find_score(customer.pk)
    assert (score.order_count, score.frequency) == (3, 1)
    assert (score.recency_days, score.T_days) == (60, 100)
    assert score.total_spent == Decimal("60000") and score.monetary == Decimal("20000")
    assert score.last_order_at == AS_OF - timedelta(days=40)


def test_rescoring_updates_rows_in_place():
    known = population()
    score_customers(as_of=AS_OF)
    before = CustomerScore.objects.get(customer=known["lost"])
    ids = set(CustomerScore.objects.values_list("id", flat=True))
    buy(known["lost"], 1, 500000)

    result = score_customers(as_of=AS_OF)

    after = CustomerScore.objects.get(customer=known["lost"])
    assert set(CustomerScore.objects.values_list("id", flat=True)) == ids
    assert after.pk == before.pk
    assert (after.order_count, after.R) == (2, 5)
    assert after.scored_at > before.scored_at
    assert result.scores_deleted == 0


def test_scores_of_customers_without_purchases_are_removed():
    customer = CustomerFactory()
    buy(customer, 10)
    score_customers(as_of=AS_OF)
    customer.orders.update(status=OrderStatus.CANCELLED)

    result = score_customers(as_of=AS_OF)

    assert result.scores_deleted == 1
    assert find_score(customer.pk) is None


def test_too_few_repeat_buyers_leaves_predictions_null_with_a_reason():
    for days in (5, 50, 200):
        buy(CustomerFactory(), days)
    regular = CustomerFactory()
    buy(regular, 30)
    buy(regular, 3)

    result = score_customers(as_of=AS_OF)

    assert result.customers_scored == 4
    assert "BG/NBD needs at least 10 customers with a repeat purchase" in (
        result.prediction_skipped_reason
    )
    assert result.value_skipped_reason
    assert result.purchase_model is None
    score = find_score(regular.pk)
    assert score.p_alive is None and score.predicted_value_12m is None
    assert score.expected_purchases_90d is None
    assert score.churn_risk == ChurnRisk.LOW  # from the recency score alone


def test_no_orders_scores_nobody():
    CustomerFactory()

    result = score_customers(as_of=AS_OF)

    assert result.customers_scored == 0
    assert result.prediction_skipped_reason


def test_quintile_scores_rank_with_ties_sharing_the_lower_score():
    assert quintile_scores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).tolist() == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores([1, 1, 1, 1, 9]).tolist() == [1, 1, 1, 1, 5]


def test_explanation_names_purchases_recency_and_probability():
    score = CustomerScore(order_count=7, last_order_at=timezone.now() - timedelta(days=120),
                          p_alive=0.35)
    with translation.override("en"):
        sentence = explain_score(score)
        assert sentence == "bought 7 times, last 120 days ago — 35 % likely still active"
        score.p_alive = None
        score.order_count = 1
        assert explain_score(score) == "bought 1 time, last 120 days ago"


def test_score_command_prints_a_summary():
    population()
    out = StringIO()

    call_command("score", "--as-of", "2025-06-30", stdout=out)

    text = out.getvalue()
    assert "Scored 52 customers" in text
    assert "champions" in text and "BG/NBD: r=" in text


def test_task_scores_customers():
    buy(CustomerFactory(), 3)

    summary = score_customers_task.delay(AS_OF.isoformat()).get()

    assert summary["customers_scored"] == 1
    assert CustomerScore.objects.count() == 1
