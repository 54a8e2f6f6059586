"""A real Celery worker on the embedded file queue: stop it and the receiver, lose nothing."""

import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.webhooks.models import Delivery, DeliveryStatus
from dangol.webhooks.services import create_endpoint, publish
from dangol.webhooks.tasks import send_due_deliveries_task
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers() -> Iterator[Callable[[], subprocess.Popen]]:
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        processes.append(start_worker())
        return processes[-1]

    yield start
    for process in processes:
        stop_worker(process)


def test_stopped_worker_and_receiver_lose_nothing(file_queue, workers, webhook_receiver):
    endpoint = create_endpoint(actor=SYSTEM, url=webhook_receiver.url, event_types=["*"])
    webhook_receiver.stop()
    with transaction.atomic():
        events = [publish(event_type="survey.response.completed", payload={"n": n})
                  for n in range(3)]
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}  # no worker yet

    worker = workers()  # takes the queued sends; the receiver is still down
    wait_for(lambda: set(Delivery.objects.values_list("attempts", flat=True)) == {1}, worker)
    stop_worker(worker)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    webhook_receiver.start()
    # What the scheduler sends every minute, queued while no worker runs.
    send_due_deliveries_task.delay(now=(timezone.now() + timedelta(minutes=1)).isoformat())
    worker = workers()
    wait_for(lambda: not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists(),
             worker)

    assert sorted(b["id"] for b in webhook_receiver.verified(endpoint.secret)) == sorted(
        str(e.uid) for e in events)
    assert len(webhook_receiver.received) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
