"""The outbox and its delivery to a real HTTP receiver on localhost."""

import base64
import hashlib
import hmac
import socket
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from dangol.accounts.actors import SYSTEM
from dangol.config.celery import app as celery_app
from dangol.webhooks import dispatch
from dangol.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from dangol.webhooks.services import create_endpoint, publish, update_endpoint
from dangol.webhooks.tasks import send_delivery_task, send_due_deliveries_task

COMPLETED = "survey.response.completed"


def endpoint_for(url: str, types: list[str] | None = None) -> Endpoint:
    return create_endpoint(actor=SYSTEM, url=url, event_types=types or ["*"])


def sweep(*, after: timedelta) -> dict[str, int]:
    """Run the scheduler's task as if ``after`` had passed."""
    return send_due_deliveries_task.delay(now=(timezone.now() + after).isoformat()).get()


def test_publish_writes_one_delivery_per_active_endpoint_that_wants_the_type(db):
    everything = endpoint_for("http://127.0.0.1:9/a", ["*"])
    completed = endpoint_for("http://127.0.0.1:9/b", [COMPLETED])
    endpoint_for("http://127.0.0.1:9/c", ["webhook.test"])
    disabled = endpoint_for("http://127.0.0.1:9/d", ["*"])
    update_endpoint(actor=SYSTEM, endpoint_id=disabled.pk, active=False)

    with transaction.atomic():
        event = publish(event_type=COMPLETED, payload={"response_id": 7})

    assert event.type == COMPLETED and event.payload == {"response_id": 7}
    targets = set(Delivery.objects.filter(event=event).values_list("endpoint_id", flat=True))
    assert targets == {everything.pk, completed.pk}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_publish_refuses_a_malformed_type_and_a_payload_that_is_not_json(db):
    with pytest.raises(ValueError):
        publish(event_type="no dots here", payload={})
    with pytest.raises(TypeError):
        publish(event_type=COMPLETED, payload={"x": object()})
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_publishes_and_sends_nothing(webhook_receiver):
    endpoint_for(webhook_receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        publish(event_type=COMPLETED, payload={"response_id": 1})
        raise RuntimeError("the producer failed after publishing")

    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert webhook_receiver.received == []


@pytest.mark.django_db(transaction=True)
def test_delivery_is_sent_after_commit_and_signed_as_standard_webhooks(webhook_receiver):
    endpoint = endpoint_for(webhook_receiver.url)
    occurred = timezone.now() - timedelta(minutes=3)

    with transaction.atomic():
        event = publish(event_type=COMPLETED, payload={"response_id": 7, "score": 9},
                        occurred_at=occurred)
        assert webhook_receiver.received == []  # nothing leaves before commit

    [request] = webhook_receiver.received
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == str(event.uid)
    assert request.json() == {"id": str(event.uid), "type": COMPLETED,
                              "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
                              "data": {"response_id": 7, "score": 9}}
    # The signature, computed here from the spec rather than with Dangol's own code.
    assert endpoint.secret.startswith("whsec_")
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    assert len(key) >= 24
    signed = f"{event.uid}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    delivery = Delivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


@pytest.mark.django_db(transaction=True)
def test_killing_the_receiver_and_bringing_it_back_loses_nothing(webhook_receiver):
    first = endpoint_for(webhook_receiver.url)
    second = endpoint_for(webhook_receiver.url + "?copy=2", [COMPLETED])
    webhook_receiver.stop()

    published = []
    for number in range(5):
        with transaction.atomic():
            published.append(publish(event_type=COMPLETED, payload={"response_id": number}))

    assert webhook_receiver.received == []
    deliveries = list(Delivery.objects.all())
    assert len(deliveries) == 10
    for delivery in deliveries:
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
        assert delivery.last_status_code is None and "Connection" in delivery.last_error
        assert delivery.next_attempt_at > timezone.now()
    assert sweep(after=timedelta(0))["attempted"] == 0  # the retries are not due yet

    webhook_receiver.start()  # the same port as before
    assert sweep(after=timedelta(minutes=1)) == {"attempted": 10, "succeeded": 10, "failed": 0,
                                                 "skipped_endpoints": 0}
    sweep(after=timedelta(days=4))  # nothing is sent twice

    expected = sorted(str(e.uid) for e in published)
    for endpoint, path in ((first, "/hooks"), (second, "/hooks?copy=2")):
        bodies = [r.json() for r in webhook_receiver.received
                  if r.path == path and r.signature_ok(endpoint.secret)]
        assert sorted(b["id"] for b in bodies) == expected
    assert len(webhook_receiver.received) == 10
    assert set(Delivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.SUCCEEDED, 2)}


@pytest.mark.django_db(transaction=True)
def test_failures_back_off_with_growing_waits_and_give_up_after_about_three_days(
        webhook_receiver):
    endpoint_for(webhook_receiver.url)
    webhook_receiver.status = 500
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={})
    delivery = Delivery.objects.get()

    clock = delivery.last_attempt_at
    waits = []
    while delivery.status == DeliveryStatus.PENDING:
        previous = delivery.next_attempt_at
        assert previous is not None
        waits.append(previous - clock)
        clock = previous
        dispatch.send_due_deliveries(now=clock)
        delivery.refresh_from_db()

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == dispatch.MAX_ATTEMPTS == len(webhook_receiver.received)
    assert delivery.last_status_code == 500 and "500" in delivery.last_error
    for wait, base in zip(waits, dispatch.RETRY_DELAYS, strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert timedelta(days=2) < sum(waits, timedelta()) < timedelta(days=4)
    assert dispatch.send_due_deliveries(now=clock + timedelta(days=30)).attempted == 0


@pytest.mark.django_db(transaction=True)
def test_retry_after_from_a_busy_receiver_lengthens_the_wait(webhook_receiver):
    endpoint_for(webhook_receiver.url)
    webhook_receiver.status = 503
    webhook_receiver.headers = {"Retry-After": "3600"}
    before = timezone.now()
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={})

    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at >= before + timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_redirects_are_not_followed(webhook_receiver):
    elsewhere = type(webhook_receiver)()
    elsewhere.start()
    try:
        endpoint_for(webhook_receiver.url)
        webhook_receiver.status = 307
        webhook_receiver.headers = {"Location": elsewhere.url}
        with transaction.atomic():
            publish(event_type=COMPLETED, payload={})
    finally:
        elsewhere.stop()

    assert len(webhook_receiver.received) == 1 and elsewhere.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 307


@pytest.mark.django_db(transaction=True)
def test_410_gone_disables_the_endpoint_and_later_events_wait(webhook_receiver):
    endpoint = endpoint_for(webhook_receiver.url)
    webhook_receiver.status = 410
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={"n": 1})
    endpoint.refresh_from_db()
    assert not endpoint.active and "410" in endpoint.disabled_reason
    assert Delivery.objects.get().status == DeliveryStatus.FAILED

    # Events for a disabled endpoint are not recorded for it; re-enabling resumes.
    webhook_receiver.status = 200
    update_endpoint(actor=SYSTEM, endpoint_id=endpoint.pk, active=True)
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={"n": 2})
    assert [r.json()["data"] for r in webhook_receiver.received] == [{"n": 1}, {"n": 2}]


@pytest.mark.django_db(transaction=True)
def test_deliveries_of_a_disabled_endpoint_wait_and_go_out_when_it_is_enabled(
        webhook_receiver):
    endpoint = endpoint_for(webhook_receiver.url)
    webhook_receiver.stop()
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={"n": 1})
    update_endpoint(actor=SYSTEM, endpoint_id=endpoint.pk, active=False)
    webhook_receiver.start()
    assert sweep(after=timedelta(hours=1))["attempted"] == 0

    update_endpoint(actor=SYSTEM, endpoint_id=endpoint.pk, active=True)  # queues a sweep
    assert sweep(after=timedelta(hours=1))["attempted"] == 1
    assert [r.json()["data"] for r in webhook_receiver.received] == [{"n": 1}]


@pytest.mark.django_db(transaction=True)
def test_a_delivery_task_run_twice_sends_once(webhook_receiver):
    endpoint_for(webhook_receiver.url)
    webhook_receiver.stop()
    with transaction.atomic():
        publish(event_type=COMPLETED, payload={})
    delivery = Delivery.objects.get()
    webhook_receiver.start()
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    send_delivery_task.delay(delivery.pk)
    send_delivery_task.delay(delivery.pk)
    sweep(after=timedelta(days=1))

    assert len(webhook_receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2


def test_an_attempt_claimed_by_one_worker_is_not_taken_by_another(db):
    endpoint = endpoint_for("http://127.0.0.1:9/hooks")
    with transaction.atomic():
        event = publish(event_type=COMPLETED, payload={})
    delivery = Delivery.objects.get(event=event, endpoint=endpoint)
    now = timezone.now()

    # Two workers read the row at the same attempt count; only one update wins.
    assert dispatch._claim(delivery.pk, now) is not None
    assert dispatch._claim(delivery.pk, now) is None
    # A worker that died mid-request leaves the delivery due again after its lease.
    assert dispatch._claim(delivery.pk, now + dispatch.lease() + timedelta(seconds=1))


def test_the_scheduler_sends_due_deliveries_every_minute():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "dangol.webhooks.tasks.send_due_deliveries_task")
    assert entry["schedule"] == 60


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_delivery_once(webhook_receiver):
    endpoint_for(webhook_receiver.url)
    webhook_receiver.stop()
    with transaction.atomic():
        events = [publish(event_type=COMPLETED, payload={"n": n}) for n in range(20)]
    webhook_receiver.start()
    later = timezone.now() + timedelta(minutes=5)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def sweep_in_thread() -> None:
        try:
            barrier.wait()
            dispatch.send_due_deliveries(now=later)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_in_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(webhook_receiver.event_ids()) == sorted(str(e.uid) for e in events)
    assert set(Delivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.SUCCEEDED, 2)}


@pytest.fixture
def broker_down():
    """Tasks are sent to a broker that nobody listens on."""
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url="redis://127.0.0.1:9/0", task_always_eager=False)
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.update(saved)
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_does_not_fail_the_producer(broker_down, webhook_receiver):
    endpoint_for(webhook_receiver.url)
    with transaction.atomic():
        event = publish(event_type=COMPLETED, payload={})

    delivery = Delivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    dispatch.send_due_deliveries()  # what the next sweep does
    assert webhook_receiver.event_ids() == [str(event.uid)]


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_never_answers_times_out_and_is_retried(settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        endpoint_for(f"http://127.0.0.1:{silent.getsockname()[1]}/hooks")
        with transaction.atomic():
            publish(event_type=COMPLETED, payload={})

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "timed out" in delivery.last_error and delivery.last_status_code is None
