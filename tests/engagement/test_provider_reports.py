"""Delivery reports and STOP replies that SMS providers post back."""

import json

import pytest
from django.test import Client

from dangol.customers.models import ConsentEvent
from dangol.engagement.models import Message, Status
from dangol.engagement.providers import sign_report
from dangol.engagement.services import queue_message
from tests.engagement.conftest import grant

URL = "/engagement/providers/http/status"


def post(path, payload, *, secret="test-webhook-secret", raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    return Client(enforce_csrf_checks=True).post(
        path, body, content_type="application/json",
        headers={"X-Dangol-Signature": sign_report(body, secret)})


@pytest.fixture
def sent_sms(customer, fake_sms_provider, run_on_commit):
    with run_on_commit():
        message = queue_message(customer=customer, channel="sms", purpose="transactional",
                                body="발송 안내")
    message.refresh_from_db()
    assert message.status == Status.SENT
    return message


def test_a_delivered_report_marks_the_message_delivered(sent_sms):
    response = post(URL, {"message_id": sent_sms.provider_message_id, "status": "delivered",
                          "at": "2026-11-23T10:00:05+09:00"})
    assert response.status_code == 200, response.content
    assert response.json() == {"changed": 1, "repeated": 0}
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.DELIVERED
    assert sent_sms.delivered_at.isoformat() == "2026-11-23T01:00:05+00:00"


def test_a_repeated_report_is_harmless(sent_sms):
    payload = {"message_id": sent_sms.provider_message_id, "status": "delivered"}
    post(URL, payload)
    events = sent_sms.events.count()
    response = post(URL, payload)
    assert response.json() == {"changed": 0, "repeated": 1}
    # A late "failed" after "delivered" does not undo the delivery either.
    post(URL, {**payload, "status": "failed"})
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.DELIVERED
    assert sent_sms.events.count() == events


def test_a_failed_report_keeps_the_providers_reason(sent_sms):
    post(URL, {"reports": [{"message_id": sent_sms.provider_message_id, "status": "failed",
                            "error": "수신 거부 번호"}]})
    sent_sms.refresh_from_db()
    assert (sent_sms.status, sent_sms.error) == (Status.FAILED, "수신 거부 번호")
    assert sent_sms.failed_at is not None


def test_a_report_may_name_the_message_by_our_reference(customer, fake_sms_provider):
    # The report overtook the worker's own record of the send.
    message = queue_message(customer=customer, channel="sms", purpose="transactional", body="b")
    message.status = Status.SENDING
    message.save()
    response = post(URL, {"message_id": "late-1", "reference": f"dangol-{message.pk}",
                          "status": "delivered"})
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_a_wrong_signature_is_refused_and_changes_nothing(sent_sms):
    response = post(URL, {"message_id": sent_sms.provider_message_id, "status": "delivered"},
                    secret="guessed")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.SENT


def test_an_unknown_provider_is_404(sent_sms):
    response = post("/engagement/providers/nope/status", {"message_id": "x", "status": "failed"})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_provider"


def test_reports_are_refused_while_no_secret_is_set(sent_sms, settings):
    settings.DANGOL_SMS_WEBHOOK_SECRET = ""
    response = post(URL, {"message_id": sent_sms.provider_message_id, "status": "delivered"},
                    secret="")
    assert response.status_code == 403


@pytest.mark.parametrize(("payload", "field"), [
    ({"message_id": "fake-1"}, "status"),
    ({"message_id": "fake-1", "status": "read"}, "status"),
    ({"status": "delivered"}, "message_id"),
    ({"message_id": "fake-1", "status": "delivered", "colour": "red"}, "colour"),
    ({"reports": []}, "reports"),
    ({"message_id": "fake-1", "status": "delivered", "at": "yesterday"}, "at"),
])
def test_a_malformed_report_names_the_field_and_changes_nothing(sent_sms, payload, field):
    response = post(URL, payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]]
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.SENT


def test_a_body_that_is_not_json_is_422(sent_sms):
    response = post(URL, None, raw=b"status=delivered")
    assert response.status_code == 422


def test_a_batch_with_an_unknown_message_changes_nothing(sent_sms):
    response = post(URL, {"reports": [
        {"message_id": sent_sms.provider_message_id, "status": "delivered"},
        {"message_id": "never-sent", "status": "delivered"}]})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "unknown_message"
    assert body["errors"][0]["field"] == "reports.1.message_id"
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.SENT


def test_get_is_not_allowed(sent_sms):
    assert Client().get(URL).status_code == 405


# --- inbound replies -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["STOP", "stop", "Opt out", "수신거부", "  UNSUBSCRIBE please"])
def test_a_stop_reply_withdraws_sms_ad_consent(customer, fake_sms_provider, ad_sender, text):
    grant(customer, "sms")
    grant(customer, "email")
    response = post("/engagement/providers/http/inbound",
                    {"from": "010-1234-5678", "text": text})
    assert response.status_code == 200
    assert response.json() == {"opted_out": 1}
    consents = {c.channel: c for c in customer.consents.all()}
    assert not consents["sms"].is_granted
    assert consents["email"].is_granted
    event = ConsentEvent.objects.get(customer=customer, action="withdraw")
    assert (event.channel, event.source) == ("sms", "sms:stop")
    [notice] = Message.objects.filter(source="consent_notice")
    assert (notice.channel, notice.to_address) == ("sms", "+821012345678")


def test_another_reply_changes_nothing(customer, fake_sms_provider):
    grant(customer, "sms")
    response = post("/engagement/providers/http/inbound",
                    {"from": "+821012345678", "text": "언제 배송되나요?"})
    assert response.json() == {"opted_out": 0}
    assert customer.consents.get(channel="sms").is_granted
