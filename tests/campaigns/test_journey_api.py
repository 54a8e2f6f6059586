"""/api/campaigns/journeys: create, read, change, delete, entries; errors and permissions."""

from datetime import date

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.services import create_api_key
from dangol.campaigns.journey_models import Journey
from dangol.campaigns.journey_triggers import scan_journey
from tests.campaigns.test_journey_helpers import customer, seoul

pytestmark = pytest.mark.django_db


def _client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="j", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


@pytest.fixture
def manager(owner):
    return _client(owner, ["campaigns.view", "campaigns.manage"])


def _payload(**values):
    return {"name": "Birthday", "trigger": "birthday", "days": 3, "channel": "email",
            "purpose": "ad", "subject_ko": "{{name}}님 생일 축하", "body_ko": "축하해요",
            "subject_en": "Happy birthday, {{name}}", "body_en": "Congratulations",
            "holdout_percent": 10, "reentry_days": 300, "active": True} | values


def test_create_read_change_and_list_entries(manager, ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    created = manager.post("/api/campaigns/journeys", _payload(),
                           content_type="application/json")
    assert created.status_code == 201, created.content
    journey_id = created.json()["id"]
    assert created.json()["results"]["entered"] == 0
    who = customer(birthday=date(1990, 11, 27), external_id="C-API-1")
    scan_journey(journey_id=journey_id)

    detail = manager.get(f"/api/campaigns/journeys/{journey_id}").json()
    assert detail["results"]["entered"] == 1
    entries = manager.get(f"/api/campaigns/journeys/{journey_id}/entries").json()
    [entry] = entries["items"]
    assert entry["customer_id"] == "C-API-1" and entry["occasion"] == "birthday:2026"
    assert entry["outcome"] in {"messaged", "held_out"}
    assert entries["next_cursor"] is None
    assert who.pk

    changed = manager.put(f"/api/campaigns/journeys/{journey_id}", _payload(days=5),
                          content_type="application/json")
    assert changed.status_code == 200 and changed.json()["days"] == 5
    listed = manager.get("/api/campaigns/journeys?trigger=birthday").json()
    assert [j["id"] for j in listed["items"]] == [journey_id]
    assert manager.get("/api/campaigns/journeys?trigger=detractor").json()["items"] == []
    assert list(AuditEntry.objects.filter(object_type="campaigns.journey").order_by("pk")
                .values_list("action", flat=True)) == ["create", "enter_customers", "update"]
    # A journey with entries keeps them: deleting it is refused.
    refused = manager.delete(f"/api/campaigns/journeys/{journey_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "has_entries"


def test_bad_input_is_named_by_field_and_changes_nothing(manager):
    bad = manager.post("/api/campaigns/journeys", _payload(
        purpose="information", body_ko="{{coupon}}", holdout_percent=95),
        content_type="application/json")
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"purpose", "body_ko", "holdout_percent"} <= fields
    assert not Journey.objects.exists()
    assert manager.get("/api/campaigns/journeys/999").status_code == 404
    assert manager.get(f"/api/campaigns/journeys/{10**20}").status_code == 404
    assert manager.put(f"/api/campaigns/journeys/{10**20}", _payload(),
                       content_type="application/json").status_code == 404


def test_a_journey_without_entries_can_be_deleted(manager):
    journey_id = manager.post("/api/campaigns/journeys", _payload(),
                              content_type="application/json").json()["id"]
    assert manager.delete(f"/api/campaigns/journeys/{journey_id}").status_code == 204
    assert not Journey.objects.exists()


def test_permissions(owner):
    viewer = _client(owner, ["campaigns.view"])
    assert viewer.get("/api/campaigns/journeys").status_code == 200
    assert viewer.post("/api/campaigns/journeys", _payload(),
                       content_type="application/json").status_code == 403
    nobody = _client(owner, ["customers.view"])
    assert nobody.get("/api/campaigns/journeys").status_code == 403
    assert not Journey.objects.exists()
