"""A real Celery worker on the embedded file queue sends what the outbox queued."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import transaction
from kombu import pools as kombu_pools

from dangol.config.celery import app as celery_app
from dangol.engagement.models import Message, Status
from dangol.engagement.services import queue_message
from dangol.engagement.tasks import send_due_messages_task
from tests.factories import CustomerFactory

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
def file_queue() -> Iterator[None]:
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
def worker(fake_sms_provider) -> Iterator[Callable[[], subprocess.Popen]]:
    env = os.environ | {
        "DANGOL_BROKER_URL": "filesystem://", "DANGOL_DATABASE_URL": _database_url(),
        "DANGOL_DATA_DIR": str(settings.DATA_DIR), "DANGOL_SMS_PROVIDER": "http",
        "DANGOL_SMS_URL": settings.DANGOL_SMS_URL, "DANGOL_SMS_API_KEY": "worker-key",
        "DANGOL_SMS_SENDER": "0212345678"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield process
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


def test_a_worker_sends_queued_messages_and_the_sweep_sends_leftovers(
        file_queue, fake_sms_provider, worker):
    customers = CustomerFactory.create_batch(2)
    with transaction.atomic():
        first = queue_message(customer=customers[0], channel="sms", purpose="transactional",
                              body="주문이 접수되었습니다.", source="order")
    # A message whose task was lost (say, the broker was wiped): only the sweep finds it.
    lost = Message.objects.create(customer=customers[1], channel="sms",
                                  purpose="transactional", body="배송이 시작되었습니다.",
                                  to_address=customers[1].phone, source="order")

    wait_for(lambda: Message.objects.get(pk=first.pk).status == Status.SENT, worker)
    assert Message.objects.get(pk=lost.pk).status == Status.QUEUED
    send_due_messages_task.delay()
    wait_for(lambda: Message.objects.get(pk=lost.pk).status == Status.SENT, worker)

    texts = sorted(r.json["text"] for r in fake_sms_provider.requests)
    assert texts == sorted(["주문이 접수되었습니다.", "배송이 시작되었습니다."])
    assert {r.headers["X-API-Key"] for r in fake_sms_provider.requests} == {"worker-key"}
