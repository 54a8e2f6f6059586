"""E-mail through a real SMTP server: what arrives, with Korean text intact."""

from dangol.engagement.delivery import deliver_message
from dangol.engagement.models import Message, Status
from dangol.engagement.services import queue_message
from tests.factories import CustomerFactory


def test_transactional_email_arrives_with_korean_subject_and_body(
        customer, smtp_server, run_on_commit):
    with run_on_commit():
        message = queue_message(
            customer=customer, channel="email", purpose="transactional",
            subject="설문에 참여해 주세요", body="김단골 고객님, 구매하신 상품은 어떠셨나요?",
            html_body="<p>김단골 고객님, <b>구매하신 상품</b>은 어떠셨나요?</p>",
            source="survey_invitation", dedupe_key="survey-invitation:1",
            headers={"X-Survey": "1"})

    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["kim@example.com"]
    assert mail["Subject"] == "설문에 참여해 주세요"
    assert mail["X-Survey"] == "1"
    assert mail.text().strip() == "김단골 고객님, 구매하신 상품은 어떠셨나요?"
    assert "<b>구매하신 상품</b>" in mail.html()
    assert "List-Unsubscribe" not in mail.message
    # On the wire: an RFC 2047 encoded subject and UTF-8 declared for both parts.
    assert b"Subject: =?utf-8?" in mail.raw
    assert [p.get_content_charset() for p in mail.message.walk()
            if p.get_content_maintype() == "text"] == ["utf-8", "utf-8"]
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_message_id == mail["Message-ID"]
    assert message.attempts == 1 and message.sent_at is not None
    assert [e.status for e in message.events.all()] == ["queued", "sending", "sent"]


def test_nothing_is_sent_when_the_callers_transaction_rolls_back(customer, smtp_server,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queue_message(customer=customer, channel="email", purpose="transactional",
                      subject="s", body="b")
    # The caller's transaction never commits: the callbacks are dropped, not run.
    assert len(callbacks) == 1
    assert smtp_server.messages == []


def test_the_same_dedupe_key_returns_the_first_message(customer, smtp_server, run_on_commit):
    with run_on_commit():
        first = queue_message(customer=customer, channel="email", purpose="transactional",
                              subject="첫 번째", body="b", dedupe_key="k:1")
        again = queue_message(customer=customer, channel="email", purpose="transactional",
                              subject="두 번째", body="b", dedupe_key="k:1")
    assert again.pk == first.pk
    assert Message.objects.filter(dedupe_key="k:1").count() == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["첫 번째"]


def test_delivering_twice_sends_once(customer, smtp_server, run_on_commit):
    with run_on_commit():
        message = queue_message(customer=customer, channel="email", purpose="transactional",
                                subject="한 번만", body="b")
    deliver_message(message_id=message.pk)
    assert len(smtp_server.messages) == 1


def test_a_temporary_smtp_refusal_is_retried(customer, smtp_server, run_on_commit):
    smtp_server.fail_next(1, "451 4.3.0 Mailbox busy")
    with run_on_commit():
        message = queue_message(customer=customer, channel="email", purpose="transactional",
                                subject="재시도", body="b")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert "451" in message.error
    deliver_message(message_id=message.pk, now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [m["Subject"] for m in smtp_server.messages] == ["재시도"]


def test_a_refused_recipient_fails_without_retry(customer, smtp_server, run_on_commit):
    smtp_server.refuse_recipients("550 5.1.1 No such user")
    with run_on_commit():
        message = queue_message(customer=customer, channel="email", purpose="transactional",
                                subject="s", body="b")
    message.refresh_from_db()
    assert (message.status, message.next_attempt_at) == (Status.FAILED, None)
    assert "550" in message.error


def test_an_address_that_cannot_be_parsed_fails_at_once(db, smtp_server, run_on_commit):
    customer = CustomerFactory(email="두 단골 <x@example.com>, y@example.com")
    with run_on_commit():
        message = queue_message(customer=customer, channel="email", purpose="transactional",
                                subject="s", body="b")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "Invalid address" in message.error
    assert smtp_server.messages == []
