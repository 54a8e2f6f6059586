"""SMS and KakaoTalk through a real (local) HTTP provider; retries with backoff."""

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dangol.engagement import tasks
from dangol.engagement.delivery import MAX_ATTEMPTS, deliver_message
from dangol.engagement.models import Message, Status
from dangol.engagement.selectors import due_message_ids
from dangol.engagement.services import queue_message
from tests.engagement.conftest import grant, seoul
from tests.factories import CustomerFactory


def sms(customer, body="주문하신 상품이 발송되었습니다.", channel="sms"):
    return queue_message(customer=customer, channel=channel, purpose="transactional",
                         body=body, source="order_shipped")


def test_an_sms_is_posted_to_the_provider_as_json(customer, fake_sms_provider, run_on_commit):
    with run_on_commit():
        message = sms(customer)
    [request] = fake_sms_provider.requests
    assert request.path == "/v1/messages"
    assert request.headers["X-API-Key"] == "test-api-key"
    assert request.json == {"to": "+821012345678", "from": "0212345678",
                            "text": "주문하신 상품이 발송되었습니다.", "type": "SMS",
                            "reference": f"dangol-{message.pk}"}
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider == "http"
    assert message.provider_message_id.startswith("fake-")


def test_long_texts_go_as_lms_and_kakao_as_kakao(customer, fake_sms_provider, run_on_commit):
    with run_on_commit():
        sms(customer, body="가" * 46)
        sms(customer, body="알림톡 안내", channel="kakao")
    assert [r.json["type"] for r in fake_sms_provider.requests] == ["LMS", "KAKAO"]


def test_a_provider_error_is_retried_with_backoff(customer, fake_sms_provider, run_on_commit,
                                                 time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    fake_sms_provider.fail_next(2, status=500)
    with run_on_commit():
        message = sms(customer)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.next_attempt_at == start + timedelta(minutes=1)
    assert "HTTP 500" in message.error
    assert due_message_ids(now=start) == []

    time_machine.move_to(start + timedelta(minutes=1), tick=False)
    tasks.send_due_messages_task.delay()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 2)
    assert message.next_attempt_at == start + timedelta(minutes=6)

    time_machine.move_to(start + timedelta(minutes=6), tick=False)
    tasks.send_due_messages_task.delay()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 3)
    assert len(fake_sms_provider.requests) == 3
    assert {r.json["reference"] for r in fake_sms_provider.requests} == {f"dangol-{message.pk}"}


def test_a_retry_is_not_sent_before_its_time(customer, fake_sms_provider, run_on_commit):
    fake_sms_provider.fail_next(1)
    with run_on_commit():
        message = sms(customer)
    deliver_message(message_id=message.pk)
    assert len(fake_sms_provider.requests) == 1
    message.refresh_from_db()
    assert message.status == Status.QUEUED


def test_a_message_fails_after_the_last_attempt(customer, fake_sms_provider, run_on_commit):
    fake_sms_provider.fail_next(MAX_ATTEMPTS, status=503)
    with run_on_commit():
        message = sms(customer)
    now = timezone.now()
    for _attempt in range(MAX_ATTEMPTS - 1):
        now += timedelta(days=1)
        deliver_message(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert message.failed_at is not None and message.next_attempt_at is None
    assert len(fake_sms_provider.requests) == MAX_ATTEMPTS


def test_a_refused_request_fails_at_once(customer, fake_sms_provider, run_on_commit):
    fake_sms_provider.fail_next(1, status=400)
    with run_on_commit():
        message = sms(customer)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "HTTP 400" in message.error


def test_without_a_provider_an_sms_fails_with_the_reason(customer, settings, run_on_commit):
    settings.DANGOL_SMS_PROVIDER = ""
    with run_on_commit():
        message = sms(customer)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "DANGOL_SMS_PROVIDER" in message.error


def test_a_message_left_sending_by_a_crashed_worker_is_sent_again(customer, fake_sms_provider):
    message = sms(customer)  # no commit: the delivery task never ran
    stale = timezone.now() - timedelta(minutes=20)
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, attempts=1,
                                                 updated_at=stale)
    assert due_message_ids() == [message.pk]
    tasks.send_due_messages_task.delay()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_a_message_someone_is_sending_now_is_left_alone(customer, fake_sms_provider):
    message = sms(customer)
    Message.objects.filter(pk=message.pk).update(status=Status.SENDING, attempts=1)
    deliver_message(message_id=message.pk)
    assert fake_sms_provider.requests == []


def test_solapi_requests_carry_a_valid_hmac_signature(customer, fake_sms_provider, settings,
                                                      run_on_commit):
    settings.DANGOL_SMS_PROVIDER = "solapi"
    settings.DANGOL_SMS_URL = fake_sms_provider.url
    with run_on_commit():
        message = sms(customer)
    [request] = fake_sms_provider.requests
    assert request.path == "/messages/v4/send-many/detail"
    assert request.json == {"messages": [{"to": "01012345678", "from": "0212345678",
                                          "text": "주문하신 상품이 발송되었습니다.",
                                          "type": "SMS"}]}
    scheme, _, params = request.headers["Authorization"].partition(" ")
    fields = dict(item.split("=", 1) for item in params.split(", "))
    assert scheme == "HMAC-SHA256" and fields["apiKey"] == "test-api-key"
    expected = hmac.new(b"test-api-secret", (fields["date"] + fields["salt"]).encode(),
                        hashlib.sha256).hexdigest()
    assert fields["signature"] == expected
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider == "solapi"
    assert message.provider_message_id.startswith("M4V")


def test_an_ad_due_at_night_waits_for_the_morning(customer, ad_sender, fake_sms_provider,
                                                 time_machine):
    grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(20, 55), tick=False)
    message = queue_message(customer=customer, channel="sms", purpose="ad", body="특가")
    # The worker only gets to it after 21:00 (a retry, a backlog).
    deliver_message(message_id=message.pk, now=seoul(21, 5))
    message.refresh_from_db()
    assert fake_sms_provider.requests == []
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == seoul(8) + timedelta(days=1)
    deliver_message(message_id=message.pk, now=seoul(8) + timedelta(days=1))
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(fake_sms_provider.requests) == 1


def test_an_ad_queued_before_a_withdrawal_is_not_sent(customer, ad_sender, fake_sms_provider,
                                                      time_machine):
    consent = grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(10), tick=False)
    message = queue_message(customer=customer, channel="sms", purpose="ad", body="특가")
    consent.withdrawn_at = seoul(10, 1)
    consent.save()
    deliver_message(message_id=message.pk, now=seoul(10, 2))
    message.refresh_from_db()
    assert (message.status, message.block_reason) == ("blocked", "consent_withdrawn")
    assert fake_sms_provider.requests == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_message_send_it_once(fake_sms_provider):
    customer = CustomerFactory(phone="+821099998888")
    message = sms(customer)  # autocommit: the eager task already sent it once
    fake_sms_provider.reset()
    Message.objects.filter(pk=message.pk).update(status=Status.QUEUED, attempts=0)
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            deliver_message(message_id=message.pk)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(fake_sms_provider.requests) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
