"""A real Celery worker on the embedded file queue: stop it and the receiver, lose nothing."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from dangol.accounts.actors import SYSTEM
from dangol.config.celery import app as celery_app
from dangol.webhooks.models import Delivery, DeliveryStatus
from dangol.webhooks.services import create_endpoint, publish
from dangol.webhooks.tasks import send_due_deliveries_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}"
            f"/{db['NAME']}")


def _reset_connections() -> None:
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def queued() -> Iterator[None]:
    """Tasks go to the embedded file queue instead of running inline."""
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url="filesystem://", task_always_eager=False)
    _reset_connections()
    for leftover in (settings.DATA_DIR / "queue" / "in").glob("*"):
        leftover.unlink()
    yield
    celery_app.conf.update(saved)
    _reset_connections()


@pytest.fixture
def start_worker() -> Iterator[Callable[[], subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    env = os.environ | {"DANGOL_BROKER_URL": "filesystem://",
                        "DANGOL_DATABASE_URL": _database_url(),
                        "DANGOL_DATA_DIR": str(settings.DATA_DIR)}

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", "solo",
             "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        assert time.monotonic() < deadline, "the worker did not finish in time"
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else "worker died"
        time.sleep(0.2)


def test_stopped_worker_and_receiver_lose_nothing(queued, start_worker, webhook_receiver):
    endpoint = create_endpoint(actor=SYSTEM, url=webhook_receiver.url, event_types=["*"])
    webhook_receiver.stop()
    with transaction.atomic():
        events = [publish(event_type="survey.response.completed", payload={"n": n})
                  for n in range(3)]
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {0}  # no worker yet

    worker = start_worker()  # takes the queued sends; the receiver is still down
    wait_for(lambda: set(Delivery.objects.values_list("attempts", flat=True)) == {1}, worker)
    stop(worker)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    webhook_receiver.start()
    # What the scheduler sends every minute, queued while no worker runs.
    send_due_deliveries_task.delay(now=(timezone.now() + timedelta(minutes=1)).isoformat())
    worker = start_worker()
    wait_for(lambda: not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists(),
             worker)

    assert sorted(b["id"] for b in webhook_receiver.verified(endpoint.secret)) == sorted(
        str(e.uid) for e in events)
    assert len(webhook_receiver.received) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
