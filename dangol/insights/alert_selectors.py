"""Reads of alert rules and the alerts they fired."""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from dangol.insights.models import AlertDelivery, AlertEvent, AlertRule, DeliveryStatus


def list_rules() -> QuerySet[AlertRule]:
    """Rules with their number of (real) alerts, the last one's time and failed deliveries."""
    return (AlertRule.objects.select_related("survey")
            .annotate(fired=Count("events", filter=Q(events__is_test=False), distinct=True),
                      last_fired_at=Max("events__fired_at", filter=Q(events__is_test=False)),
                      failed_deliveries=Count(
                          "events__deliveries",
                          filter=Q(events__deliveries__status=DeliveryStatus.FAILED),
                          distinct=True))
            .order_by("name", "pk"))


def find_rule(pk: int) -> AlertRule | None:
    return AlertRule.objects.select_related("survey").filter(pk=pk).first()


def _with_deliveries(events: QuerySet[AlertEvent]) -> QuerySet[AlertEvent]:
    return events.select_related("rule").prefetch_related(
        Prefetch("deliveries", queryset=AlertDelivery.objects.order_by("pk")))


def rule_events(rule: AlertRule) -> QuerySet[AlertEvent]:
    """The rule's alerts, newest first, each with its deliveries."""
    return _with_deliveries(AlertEvent.objects.filter(rule=rule).order_by("-fired_at", "-pk"))


def list_events(*, rule_pk: int | None = None, include_tests: bool = True
                ) -> QuerySet[AlertEvent]:
    events = AlertEvent.objects.all()
    if rule_pk is not None:
        events = events.filter(rule_id=rule_pk)
    if not include_tests:
        events = events.filter(is_test=False)
    return _with_deliveries(events.order_by("-fired_at", "-pk"))


def recent_events(limit: int) -> list[AlertEvent]:
    return list(list_events()[:limit])
