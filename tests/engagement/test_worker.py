"""A real Celery worker on the embedded file queue sends what the outbox queued."""

import subprocess
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import transaction

from dangol.engagement.models import Message, Status
from dangol.engagement.services import queue_message
from dangol.engagement.tasks import send_due_messages_task
from tests.factories import CustomerFactory
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(fake_sms_provider) -> Iterator[subprocess.Popen]:
    process = start_worker(env={
        "DANGOL_SMS_PROVIDER": "http", "DANGOL_SMS_URL": settings.DANGOL_SMS_URL,
        "DANGOL_SMS_API_KEY": "worker-key", "DANGOL_SMS_SENDER": "0212345678"})
    yield process
    stop_worker(process)


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
