"""Evaluating alert rules: the metric of the last window against a threshold or the window
before it, and firing at most one alert per rule and window.

Scores use the tests of :mod:`dangol.stats` (z-test on NPS, Welch's t on means,
the pooled z-test on shares); theme spikes and emerging themes use textkit's
exact binomial detectors with Benjamini-Hochberg control.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol import textkit
from dangol.core.errors import NotFound
from dangol.core.transactions import enqueue_after_commit
from dangol.insights import selectors, tasks
from dangol.insights.dashboard import mean_of, nps_of
from dangol.insights.models import (
    HIGHER_IS_WORSE,
    AlertDelivery,
    AlertEvent,
    AlertRule,
    Condition,
    DeliveryStatus,
    Destination,
    Metric,
)
from dangol.insights.selectors import Scope, Window
from dangol.stats import survey as survey_stats
from dangol.stats.errors import NotEnoughDataError
from dangol.stats.proportions import uplift

logger = logging.getLogger(__name__)


@dataclass
class Reading:
    """The metric in the window and in the baseline, and whether the rule's condition holds."""

    value: float | None
    n: int
    baseline: float | None = None
    baseline_n: int = 0
    p_value: float | None = None
    fires: bool = False
    reason: str = ""  # why it does not fire (not enough answers, no drop ...)
    detail: dict[str, Any] = field(default_factory=dict)


def _scope(rule: AlertRule) -> Scope:
    return Scope(survey_pk=rule.survey_id, channel=rule.channel)


def _score_reading(rule: AlertRule, window: Window, baseline: Window) -> Reading:
    now_counts, before_counts = selectors.score_counts(_scope(rule), [window, baseline])
    alpha = 1 - rule.confidence
    if rule.metric == Metric.NPS:
        current, previous = nps_of(now_counts["nps"]), nps_of(before_counts["nps"])
        reading = Reading(current.score if current else None, current.n if current else 0,
                          previous.score if previous else None, previous.n if previous else 0)
        if current and previous and rule.condition == Condition.SIGNIFICANT:
            test = survey_stats.compare_nps(previous, current, confidence=rule.confidence)
            reading.p_value = test.p_value
    else:
        kind = "csat" if rule.metric == Metric.CSAT else "ces"
        current_s, previous_s = mean_of(now_counts[kind], 1), mean_of(before_counts[kind], 1)
        reading = Reading(current_s.mean if current_s else None,
                          current_s.n if current_s else 0,
                          previous_s.mean if previous_s else None,
                          previous_s.n if previous_s else 0)
        if current_s and previous_s and rule.condition == Condition.SIGNIFICANT:
            try:
                test = survey_stats.compare_means(previous_s, current_s,
                                                  confidence=rule.confidence)
                reading.p_value = test.p_value
            except NotEnoughDataError:
                pass
    return _decide(rule, reading, alpha)


def _share_reading(rule: AlertRule, hits: int, n: int, before_hits: int, before_n: int) -> Reading:
    reading = Reading(100.0 * hits / n if n else None, n,
                      100.0 * before_hits / before_n if before_n else None, before_n)
    if rule.condition == Condition.SIGNIFICANT and n and before_n:
        change = uplift(hits, n, before_hits, before_n, confidence=rule.confidence)
        reading.p_value = change.p_value if change else None
    return _decide(rule, reading, 1 - rule.confidence)


def _decide(rule: AlertRule, reading: Reading, alpha: float) -> Reading:
    worse_is_up = rule.metric in HIGHER_IS_WORSE
    if reading.n < rule.min_n or reading.value is None:
        reading.reason = "not_enough_data"
        return reading
    if rule.condition == Condition.THRESHOLD:
        threshold = rule.threshold if rule.threshold is not None else 0.0
        reading.fires = (reading.value > threshold if worse_is_up
                         else reading.value < threshold)
        reading.reason = "" if reading.fires else "within_threshold"
        return reading
    if reading.baseline is None or reading.baseline_n < rule.min_n:
        reading.reason = "not_enough_baseline"
        return reading
    worse = (reading.value > reading.baseline if worse_is_up
             else reading.value < reading.baseline)
    reading.fires = bool(worse and reading.p_value is not None and reading.p_value < alpha)
    reading.reason = "" if reading.fires else "no_significant_change"
    return reading


def _detector_reading(rule: AlertRule, window: Window, baseline: Window) -> Reading:
    now = selectors.theme_counts(_scope(rule), window)
    before = selectors.theme_counts(_scope(rule), baseline)
    if rule.theme:
        now = {k: v for k, v in now.items() if k == rule.theme}
        before = {k: v for k, v in before.items() if k == rule.theme}
    n = sum(total for _neg, total in now.values())
    baseline_n = sum(total for _neg, total in before.values())
    alpha = 1 - rule.confidence
    reading = Reading(None, n, None, baseline_n)
    if rule.metric == Metric.NEGATIVE_SPIKE:
        spikes = textkit.detect_negative_spikes(now, before, min_count=rule.min_n,
                                                min_increase=0.1, alpha=alpha)
        found = [{"theme": s.term, "value": 100 * s.recent_share,
                  "baseline": 100 * s.baseline_share, "n": s.recent_total,
                  "p_value": s.p_value} for s in spikes]
    else:
        emerging = textkit.detect_emerging({k: v[1] for k, v in now.items()},
                                           {k: v[1] for k, v in before.items()},
                                           min_count=rule.min_n, alpha=alpha)
        found = [{"theme": e.term, "value": e.recent, "baseline": e.baseline,
                  "n": e.recent, "p_value": e.p_value, "rate_ratio": e.rate_ratio}
                 for e in emerging]
    if found:
        top = found[0]
        reading.value, reading.baseline, reading.p_value = (top["value"], top["baseline"],
                                                            top["p_value"])
        reading.fires = True
        reading.detail = {"themes": found}
    else:
        reading.reason = "no_significant_change" if n >= rule.min_n else "not_enough_data"
    return reading


def read_metric(rule: AlertRule, window: Window) -> Reading:
    """The rule's metric in ``window`` and the window before it, and whether it fires."""
    baseline = window.previous()
    scope = _scope(rule)
    if rule.metric in {Metric.NPS, Metric.CSAT, Metric.CES}:
        return _score_reading(rule, window, baseline)
    if rule.metric == Metric.RESPONSE_RATE:
        invited, answered = selectors.invitation_counts(scope, window)
        invited_b, answered_b = selectors.invitation_counts(scope, baseline)
        return _share_reading(rule, answered, invited, answered_b, invited_b)
    if rule.metric == Metric.THEME_NEGATIVE:
        neg, total = selectors.theme_counts(scope, window).get(rule.theme, (0, 0))
        neg_b, total_b = selectors.theme_counts(scope, baseline).get(rule.theme, (0, 0))
        return _share_reading(rule, neg, total, neg_b, total_b)
    return _detector_reading(rule, window, baseline)


# --- firing -----------------------------------------------------------------------------------


def destinations(rule: AlertRule) -> list[tuple[str, str]]:
    found = [(Destination.EMAIL.value, address) for address in rule.emails]
    if rule.slack_url:
        found.append((Destination.SLACK.value, rule.slack_url))
    if rule.webhook_url:
        found.append((Destination.WEBHOOK.value, rule.webhook_url))
    return found


def _payload(rule: AlertRule, window: Window, reading: Reading, *, test: bool) -> dict[str, Any]:
    return {
        "type": "alert.test" if test else "alert.fired",
        "rule": {"id": rule.pk, "name": rule.name, "metric": rule.metric,
                 "condition": rule.condition, "threshold": rule.threshold,
                 "confidence": rule.confidence, "min_n": rule.min_n,
                 "window_days": rule.window_days, "survey_id": rule.survey_id,
                 "channel": rule.channel, "theme": rule.theme},
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "value": reading.value, "n": reading.n, "baseline": reading.baseline,
        "baseline_n": reading.baseline_n, "p_value": reading.p_value,
        "themes": reading.detail.get("themes", []),
    }


def _record(rule: AlertRule, window: Window, reading: Reading, *, test: bool) -> AlertEvent:
    event = AlertEvent.objects.create(
        rule=rule, is_test=test, window_start=window.start, window_end=window.end,
        value=reading.value, baseline=reading.baseline, n=reading.n,
        baseline_n=reading.baseline_n, p_value=reading.p_value, detail=reading.detail,
        payload=_payload(rule, window, reading, test=test))
    now = timezone.now()
    deliveries = AlertDelivery.objects.bulk_create([
        AlertDelivery(event=event, kind=kind, target=target, status=DeliveryStatus.PENDING,
                      next_attempt_at=now) for kind, target in destinations(rule)])
    for delivery in deliveries:
        enqueue_after_commit(tasks.send_alert_delivery_task, delivery.pk)
    return event


@dataclass
class Evaluation:
    rule_pk: int
    fired: AlertEvent | None
    reading: Reading | None
    reason: str = ""


def evaluate_rule(*, rule_pk: int, now: datetime | None = None) -> Evaluation:
    """Evaluate rule ``rule_pk`` over its last whole window; record an alert and queue its
    deliveries (after commit) when the condition holds.

    Safe to run twice and on several workers: the alert is unique per rule and window
    in the database, so the second run finds it and fires nothing. A rule does not
    fire again while an earlier alert's window overlaps this one (a drop that lasts
    is told once per window length)."""
    rule = AlertRule.objects.filter(pk=rule_pk, active=True).first()
    if rule is None:
        return Evaluation(rule_pk, None, None, "inactive")
    window = selectors.whole_days_before(rule.window_days, now=now)
    AlertRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now or timezone.now())
    if AlertEvent.objects.filter(rule=rule, is_test=False, window_end__gt=window.start).exists():
        return Evaluation(rule_pk, None, None, "already_fired")
    reading = read_metric(rule, window)
    if not reading.fires:
        return Evaluation(rule_pk, None, reading, reading.reason)
    try:
        with transaction.atomic():
            event = _record(rule, window, reading, test=False)
    except IntegrityError:
        return Evaluation(rule_pk, None, reading, "already_fired")
    logger.info("alert rule %s fired for %s", rule.pk, window)
    return Evaluation(rule_pk, event, reading)


def test_rule(*, rule_pk: int, now: datetime | None = None) -> AlertEvent:
    """Send a test alert with the rule's current reading to every destination now,
    whatever the condition says. Test alerts never block a real one."""
    rule = AlertRule.objects.filter(pk=rule_pk).first()
    if rule is None:
        raise NotFound(_("No alert rule with ID %(id)s.") % {"id": rule_pk})
    window = selectors.whole_days_before(rule.window_days, now=now)
    reading = read_metric(rule, window)
    with transaction.atomic():
        return _record(rule, window, reading, test=True)


def active_rule_pks() -> list[int]:
    return list(AlertRule.objects.filter(active=True).order_by("pk").values_list("pk", flat=True))
