"""/api/campaigns: create, send, results, cancel; error format and permissions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.services import create_api_key
from dangol.campaigns.models import Campaign
from tests.campaigns.conftest import grant
from tests.factories import CustomerFactory


def _client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="c", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def manager(owner):
    return _client(owner, ["campaigns.view", "campaigns.manage"])


def _payload(segment, **values):
    return {"name": "겨울 세일", "segment_id": segment.pk, "channel": "email", "purpose": "ad",
            "subject": "{{name}}님, 세일", "body": "{{name}}님 {{points}}점"} | values


def test_create_send_and_read_the_results(manager, seoul_segment, smtp_server, ad_sender,
                                          django_capture_on_commit_callbacks):
    grant(CustomerFactory(name="김단골", region="서울", email="kim@example.com"))
    created = manager.post("/api/campaigns", _payload(seoul_segment),
                           content_type="application/json")
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    with django_capture_on_commit_callbacks(execute=True):
        sent = manager.post(f"/api/campaigns/{campaign_id}/send", {},
                            content_type="application/json")
    assert sent.status_code == 202
    got = manager.get(f"/api/campaigns/{campaign_id}").json()
    assert got["status"] == "sent"
    assert got["results"]["targeted"] == 1 and got["results"]["sent"] == 1
    assert got["results"]["effect"] is None  # no holdout group, so no comparison
    [mail] = smtp_server.messages
    assert "김단골님 0점" in mail.text()
    again = manager.post(f"/api/campaigns/{campaign_id}/send", {},
                         content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "not_draft"
    listed = manager.get("/api/campaigns?status=sent").json()
    assert [c["id"] for c in listed["items"]] == [campaign_id]
    assert AuditEntry.objects.filter(object_type="campaigns.campaign",
                                     object_id=str(campaign_id)).count() == 2


def test_schedule_then_cancel(manager, seoul_segment):
    campaign_id = manager.post("/api/campaigns", _payload(seoul_segment),
                               content_type="application/json").json()["id"]
    later = (timezone.now() + timedelta(days=1)).isoformat()
    scheduled = manager.post(f"/api/campaigns/{campaign_id}/send", {"send_at": later},
                             content_type="application/json")
    assert scheduled.json()["status"] == "scheduled"
    cancelled = manager.post(f"/api/campaigns/{campaign_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert manager.post(f"/api/campaigns/{campaign_id}/cancel").json()["code"] == \
        "not_scheduled"


def test_bad_input_names_the_fields_and_saves_nothing(manager, seoul_segment):
    response = manager.post("/api/campaigns", _payload(
        seoul_segment, body="{{coupon}}", holdout_percent=95, segment_id=999999),
        content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {"body", "holdout_percent", "segment_id"}
    assert Campaign.objects.count() == 0
    assert manager.get("/api/campaigns/999999").status_code == 404


def test_a_view_only_key_reads_but_cannot_create(owner, seoul_segment):
    viewer = _client(owner, ["campaigns.view"])
    assert viewer.get("/api/campaigns").status_code == 200
    refused = viewer.post("/api/campaigns", _payload(seoul_segment),
                          content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert Client().get("/api/campaigns").status_code == 401
