"""Events (whose payloads may hold personal data) are deleted after the retention period."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.webhooks.models import Delivery, Event
from dangol.webhooks.retention import purge_old_events
from dangol.webhooks.services import create_endpoint, publish

COMPLETED = "survey.response.completed"


def test_old_events_go_with_their_deliveries_but_pending_ones_stay(
        db, settings, webhook_receiver, django_capture_on_commit_callbacks):
    settings.WEBHOOK_RETENTION_DAYS = 30
    create_endpoint(actor=SYSTEM, url=webhook_receiver.url, event_types=["*"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        delivered = publish(event_type=COMPLETED, payload={"name": "김단골"})
    webhook_receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        waiting = publish(event_type=COMPLETED, payload={"name": "이단골"})
    recent = publish(event_type=COMPLETED, payload={})
    Event.objects.exclude(pk=recent.pk).update(
        created_at=timezone.now() - timedelta(days=31))

    assert purge_old_events() == 1
    assert set(Event.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not Delivery.objects.filter(event_id=delivered.pk).exists()
    assert purge_old_events() == 0  # safe to run twice


def test_the_purge_runs_nightly():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "dangol.webhooks.tasks.purge_old_events_task")
    assert entry["schedule"].hour == {4}
