"""Background work of the insights app (thin: take ids, call a service; safe to run twice)."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from dangol.insights import delivery, evaluation


@shared_task(acks_late=True)
def evaluate_alert_rules_task(now: str | None = None) -> int:
    """Queue the evaluation of every active alert rule (hourly from the scheduler)."""
    rule_pks = evaluation.active_rule_pks()
    for rule_pk in rule_pks:
        evaluate_alert_rule_task.delay(rule_pk, now)
    return len(rule_pks)


@shared_task(acks_late=True)
def evaluate_alert_rule_task(rule_pk: int, now: str | None = None) -> bool:
    """Evaluate one rule; fires at most one alert per rule and window."""
    result = evaluation.evaluate_rule(rule_pk=rule_pk, now=parse_datetime(now) if now else None)
    return result.fired is not None


@shared_task(acks_late=True)
def send_alert_delivery_task(delivery_pk: int) -> str:
    """Attempt one delivery now (queued after the alert's transaction commits)."""
    return delivery.attempt_delivery(delivery_pk=delivery_pk)


@shared_task(acks_late=True)
def send_due_alert_deliveries_task(now: str | None = None) -> int:
    """Retry every due delivery (every minute from the scheduler)."""
    return delivery.send_due_deliveries(now=parse_datetime(now) if now else None)
