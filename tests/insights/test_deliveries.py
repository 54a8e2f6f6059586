"""Alert deliveries to a real local HTTP server (Slack and signed webhooks) and to the real
SMTP server: recorded per destination, retried with backoff, failed after N tries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.insights import delivery, evaluation
from dangol.insights.models import AlertDelivery
from dangol.insights.services import RuleInput, save_rule
from dangol.insights.tasks import evaluate_alert_rules_task, send_due_alert_deliveries_task
from dangol.webhooks import signing
from tests.fixtures_messaging import free_port
from tests.insights.conftest import answer, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_nps(survey):
    for score in [10] * 2 + [1] * 10:
        answer(survey, at=days_ago(2), nps=score)


def make_rule(receiver_url: str, **values):
    data = RuleInput(name="Low NPS", metric="nps", condition="threshold", threshold=0,
                     min_n=10, language="en", **values)
    return save_rule(actor=SYSTEM, data=data)


def by_kind(rule):
    return {d.kind: d for d in AlertDelivery.objects.filter(event__rule=rule)}


def test_alert_reaches_slack_webhook_and_email(low_nps, receiver, smtp_server,
                                               django_capture_on_commit_callbacks):
    rule = make_rule(receiver.url, emails=["cx@example.com", "boss@example.com"],
                     slack_url=f"{receiver.url}/slack", webhook_url=f"{receiver.url}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluate_alert_rules_task.delay().get() == 1
    deliveries = AlertDelivery.objects.filter(event__rule=rule).order_by("pk")
    assert [(d.kind, d.status, d.attempts) for d in deliveries] == [
        ("email", "sent", 1), ("email", "sent", 1), ("slack", "sent", 1),
        ("webhook", "sent", 1)]
    slack = next(r for r in receiver.requests if r.path == "/slack")
    assert "Low NPS" in slack.json["text"] and "-66.7" in slack.json["text"]
    hook = next(r for r in receiver.requests if r.path == "/hook")
    assert hook.json["type"] == "alert.fired"
    assert hook.json["rule"]["id"] == rule.pk and hook.json["n"] == 12
    assert hook.json["value"] == pytest.approx(-200 / 3)
    assert signing.verify(secret=rule.webhook_secret, msg_id=hook.headers["webhook-id"],
                          timestamp=int(hook.headers["webhook-timestamp"]), body=hook.body,
                          header=hook.headers["webhook-signature"])
    assert not signing.verify(secret=signing.generate_secret(),
                              msg_id=hook.headers["webhook-id"],
                              timestamp=int(hook.headers["webhook-timestamp"]),
                              body=hook.body, header=hook.headers["webhook-signature"])
    mails = {m["To"]: m for m in smtp_server.messages}
    assert set(mails) == {"cx@example.com", "boss@example.com"}
    assert mails["cx@example.com"]["Subject"].startswith("Alert: Low NPS")
    assert "12 answers" in mails["cx@example.com"].text()
    assert f"/insights/alerts/{rule.pk}/" in mails["cx@example.com"].text()


def test_a_500_is_retried_with_backoff_until_it_is_delivered(low_nps, receiver,
                                                             django_capture_on_commit_callbacks):
    rule = make_rule(receiver.url, webhook_url=f"{receiver.url}/hook")
    receiver.fail_next(2, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluate_rule(rule_pk=rule.pk)
    hook = by_kind(rule)["webhook"]
    assert (hook.status, hook.attempts, hook.last_status_code) == ("pending", 1, 500)
    assert "500" in hook.last_error
    first_wait = hook.next_attempt_at - hook.last_attempt_at
    assert timedelta(seconds=47) <= first_wait <= timedelta(seconds=73)
    # Not due yet: the sweep leaves it alone.
    assert delivery.send_due_deliveries() == 0
    later = timezone.now() + timedelta(minutes=2)
    assert send_due_alert_deliveries_task.delay(later.isoformat()).get() == 1
    hook.refresh_from_db()
    assert (hook.status, hook.attempts) == ("pending", 2)
    assert hook.next_attempt_at - later >= timedelta(minutes=4)
    delivery.send_due_deliveries(now=later + timedelta(hours=1))
    hook.refresh_from_db()
    assert (hook.status, hook.attempts, hook.last_status_code) == ("sent", 3, 200)
    # Each attempt sent the same signed body.
    assert len({r.body for r in receiver.requests}) == 1
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_a_receiver_that_stays_down_is_shown_as_failed_after_the_last_try(
        low_nps, django_capture_on_commit_callbacks):
    down = f"http://127.0.0.1:{free_port()}/slack"  # nothing listens there
    rule = make_rule(down, slack_url=down)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluate_rule(rule_pk=rule.pk)
    moment = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS + 2):
        moment += timedelta(hours=12)
        delivery.send_due_deliveries(now=moment)
    slack = by_kind(rule)["slack"]
    assert (slack.status, slack.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert slack.next_attempt_at is None and "Connection" in slack.last_error


def test_mail_server_trouble_is_retried(low_nps, smtp_server,
                                       django_capture_on_commit_callbacks):
    rule = make_rule("", emails=["cx@example.com"])
    smtp_server.fail_next(1)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation.evaluate_rule(rule_pk=rule.pk)
    mail = by_kind(rule)["email"]
    assert (mail.status, mail.attempts) == ("pending", 1) and "451" in mail.last_error
    delivery.send_due_deliveries(now=timezone.now() + timedelta(minutes=5))
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert [m["To"] for m in smtp_server.messages] == ["cx@example.com"]


def test_test_now_sends_whatever_the_condition_and_does_not_block_a_real_alert(
        survey, receiver, django_capture_on_commit_callbacks):
    answer(survey, at=days_ago(2), nps=10)
    rule = make_rule(receiver.url, slack_url=f"{receiver.url}/slack")
    with django_capture_on_commit_callbacks(execute=True):
        event = evaluation.test_rule(rule_pk=rule.pk)
    assert event.is_test and event.n == 1
    assert receiver.requests[0].json["text"].startswith("*[Test] Alert: Low NPS")
    for score in [0] * 12:
        answer(survey, at=days_ago(2), nps=score)
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluation.evaluate_rule(rule_pk=rule.pk).fired is not None
    assert len(receiver.requests) == 2
