"""Alert evaluation: a real drop fires once per rule and window; noise, small samples and a
second run do not; theme spikes use textkit's detector."""

import pytest
from django.db import IntegrityError, transaction

from dangol.accounts.actors import SYSTEM
from dangol.feedback import items as feedback_items
from dangol.insights import evaluation, selectors
from dangol.insights.models import AlertEvent, AlertRule
from dangol.insights.services import RuleInput, save_rule
from dangol.insights.tasks import evaluate_alert_rules_task
from tests.insights.conftest import answer, days_ago

pytestmark = pytest.mark.django_db


def make_rule(**values):
    data = RuleInput(name=values.pop("name", "NPS drop"), metric=values.pop("metric", "nps"),
                     emails=values.pop("emails", ["cx@example.com"]), **values)
    return save_rule(actor=SYSTEM, data=data)


def answers(survey, scores, *, days):
    for score in scores:
        answer(survey, at=days_ago(days), nps=score)


def test_a_significant_nps_drop_fires_once(survey, smtp_server):
    answers(survey, [10] * 30 + [8] * 10, days=10)  # baseline window: NPS 75
    answers(survey, [10] * 10 + [2] * 30, days=3)  # last 7 whole days: NPS -50
    rule = make_rule(condition="significant", confidence=0.95, min_n=30)
    result = evaluation.evaluate_rule(rule_pk=rule.pk)
    event = result.fired
    assert event is not None
    assert (event.n, event.baseline_n) == (40, 40)
    assert event.value == pytest.approx(-50.0) and event.baseline == pytest.approx(75.0)
    assert event.p_value < 0.05
    window = selectors.whole_days_before(7)
    assert (event.window_start, event.window_end) == (window.start, window.end)
    # Run again (the scheduler, a second worker): nothing more.
    again = evaluation.evaluate_rule(rule_pk=rule.pk)
    assert again.fired is None and again.reason == "already_fired"
    assert evaluate_alert_rules_task.delay().get() == 1
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    # And the database itself refuses a second alert for the window.
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertEvent.objects.create(rule=rule, window_start=event.window_start,
                                  window_end=event.window_end, payload={})


def test_no_alert_below_the_minimum_number_of_answers(survey):
    answers(survey, [0] * 5, days=2)  # NPS -100, but only 5 answers
    rule = make_rule(condition="threshold", threshold=0, min_n=30)
    result = evaluation.evaluate_rule(rule_pk=rule.pk)
    assert result.fired is None and result.reason == "not_enough_data"
    assert result.reading.value == pytest.approx(-100.0) and result.reading.n == 5
    assert not AlertEvent.objects.exists()


def test_a_threshold_fires_once_enough_answers_are_below_it(survey):
    answers(survey, [10] * 4 + [3] * 6, days=2)  # NPS -20 from 10 answers
    rule = make_rule(condition="threshold", threshold=0, min_n=10)
    fired = evaluation.evaluate_rule(rule_pk=rule.pk).fired
    assert fired is not None and fired.value == pytest.approx(-20.0)
    high = make_rule(name="Very low NPS", condition="threshold", threshold=-50, min_n=10)
    assert evaluation.evaluate_rule(rule_pk=high.pk).reason == "within_threshold"


def test_noise_between_two_windows_does_not_fire(survey):
    answers(survey, [10] * 20 + [8] * 10 + [3] * 10, days=10)  # NPS 25
    answers(survey, [10] * 18 + [8] * 11 + [3] * 11, days=3)  # NPS 17.5: within noise
    rule = make_rule(condition="significant", min_n=30)
    result = evaluation.evaluate_rule(rule_pk=rule.pk)
    assert result.fired is None and result.reason == "no_significant_change"
    assert result.reading.p_value > 0.05


def test_csat_mean_and_scope_by_survey(survey, other_survey):
    for _ in range(20):
        answer(survey, at=days_ago(3), nps=9, csat=2)
        answer(other_survey, at=days_ago(3), nps=9, csat=5)
    scoped = make_rule(name="CSAT", metric="csat_mean", condition="threshold", threshold=3,
                       min_n=20, survey_pk=survey.pk)
    everywhere = make_rule(name="CSAT all", metric="csat_mean", condition="threshold",
                           threshold=3, min_n=20)
    assert evaluation.evaluate_rule(rule_pk=scoped.pk).fired.value == pytest.approx(2.0)
    reading = evaluation.evaluate_rule(rule_pk=everywhere.pk)
    assert reading.fired is None and reading.reading.value == pytest.approx(3.5)


def test_an_inactive_rule_is_not_evaluated(survey):
    answers(survey, [0] * 12, days=2)
    rule = make_rule(condition="threshold", threshold=0, min_n=10)
    AlertRule.objects.filter(pk=rule.pk).update(active=False)
    assert evaluation.evaluate_rule(rule_pk=rule.pk).reason == "inactive"
    assert evaluate_alert_rules_task.delay().get() == 0


def feedback(texts, *, days, prefix):
    rows = [{"source": "review", "channel": "스토어", "external_id": f"{prefix}-{i}",
             "text": text, "occurred_at": days_ago(days).isoformat()}
            for i, text in enumerate(texts)]
    feedback_items.receive_items(actor=SYSTEM, rows=rows)


@pytest.fixture
def delivery_complaints(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        feedback([f"배송이 빨라서 좋아요 {i}번째 주문" for i in range(10)], days=10, prefix="old")
        feedback([f"배송이 너무 늦어서 실망했어요 {i}번째" for i in range(10)], days=2,
                 prefix="new")


def test_negative_share_of_a_theme_and_a_negative_spike(delivery_complaints):
    counts = selectors.theme_counts(selectors.Scope(), selectors.whole_days_before(7))
    assert counts["delivery"] == (10, 10)
    share = make_rule(name="Delivery complaints", metric="theme_negative_share",
                      theme="delivery", condition="threshold", threshold=50, min_n=5)
    fired = evaluation.evaluate_rule(rule_pk=share.pk).fired
    assert fired is not None and fired.value == pytest.approx(100.0)
    spike = make_rule(name="Any spike", metric="negative_spike", min_n=5)
    assert spike.condition == "significant"
    fired = evaluation.evaluate_rule(rule_pk=spike.pk).fired
    assert fired is not None
    assert [t["theme"] for t in fired.detail["themes"]] == ["delivery"]
    assert fired.detail["themes"][0]["p_value"] < 0.05


def test_a_spike_needs_the_minimum_count(delivery_complaints):
    spike = make_rule(name="Any spike", metric="negative_spike", min_n=50)
    assert evaluation.evaluate_rule(rule_pk=spike.pk).fired is None
