"""The insights API: the dashboard as JSON, alert rules (CRUD with field-level validation,
permissions, audit rows) and alert events."""

import json

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.services import create_api_key
from dangol.insights.models import AlertRule
from tests.insights.conftest import answer, client_for, days_ago

pytestmark = pytest.mark.django_db

GOOD = {"name": "배송 불만", "metric": "theme_negative_share", "theme": "delivery",
        "condition": "threshold", "threshold": 40, "min_n": 20, "window_days": 7,
        "emails": ["cx@example.com"], "slack_url": "https://hooks.slack.com/services/T/B/x",
        "webhook_url": "https://example.com/alerts"}


def key_client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="alerts", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


@pytest.fixture
def manager(owner):
    return key_client(owner, ["insights.view", "insights.manage_alerts"])


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def errors(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_rules_are_created_read_changed_and_deleted_with_audit_rows(manager):
    created = post(manager, "/api/insights/alert-rules", GOOD)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["webhook_secret"].startswith("whsec_")
    rule_id = body["id"]
    assert manager.get(f"/api/insights/alert-rules/{rule_id}").json()["theme"] == "delivery"
    assert "webhook_secret" not in manager.get(f"/api/insights/alert-rules/{rule_id}").json()
    changed = manager.patch(f"/api/insights/alert-rules/{rule_id}",
                            json.dumps({"threshold": 30, "active": False}),
                            content_type="application/json")
    assert changed.status_code == 200
    assert (changed.json()["threshold"], changed.json()["active"]) == (30, False)
    assert changed.json()["webhook_secret"] == body["webhook_secret"]
    replaced = manager.put(f"/api/insights/alert-rules/{rule_id}",
                           json.dumps({**GOOD, "name": "renamed"}),
                           content_type="application/json")
    assert replaced.json()["name"] == "renamed"
    assert [r["id"] for r in manager.get("/api/insights/alert-rules").json()] == [rule_id]
    assert manager.delete(f"/api/insights/alert-rules/{rule_id}").status_code == 204
    assert manager.get(f"/api/insights/alert-rules/{rule_id}").status_code == 404
    audit = list(AuditEntry.objects.filter(object_type="insights.alertrule")
                 .order_by("pk").values_list("action", "fields"))
    assert [a for a, _f in audit] == ["create", "update", "update", "delete"]
    assert sorted(audit[1][1]) == ["active", "threshold"]


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"slack_url": "hooks.slack.com/x"}, "slack_url", "https://"),
    ({"webhook_url": "https://exa mple.com/"}, "webhook_url", "valid URL"),
    ({"emails": ["cx@example.com", "not-an-address"]}, "emails", "not-an-address"),
    ({"theme": "teleportation"}, "theme", "Unknown theme"),
    ({"theme": ""}, "theme", "theme"),
    ({"metric": "happiness"}, "metric", "metrics"),
    ({"threshold": 140}, "threshold", "0 to 100"),
    ({"threshold": None}, "threshold", "threshold"),
    ({"window_days": 0}, "window_days", "1 to 365"),
    ({"survey_id": 99999}, "survey", "survey"),
    ({"channel": "fax"}, "channel", "channel"),
    ({"emails": [], "slack_url": "", "webhook_url": ""}, "emails", "destination"),
    ({"name": " "}, "name", "name"),
])
def test_bad_input_names_the_field_and_saves_nothing(manager, change, field, words):
    response = post(manager, "/api/insights/alert-rules", {**GOOD, **change})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert words in errors(response)[field]
    assert not AlertRule.objects.exists()


def test_a_bad_change_keeps_the_rule_as_it_was(manager):
    rule_id = post(manager, "/api/insights/alert-rules", GOOD).json()["id"]
    response = manager.patch(f"/api/insights/alert-rules/{rule_id}",
                             json.dumps({"webhook_url": "ftp://example.com"}),
                             content_type="application/json")
    assert response.status_code == 422 and "webhook_url" in errors(response)
    assert AlertRule.objects.get().webhook_url == GOOD["webhook_url"]


def test_viewers_read_but_only_managers_change(owner, marketer, analyst):
    viewer = key_client(owner, ["insights.view"])
    assert viewer.get("/api/insights/alert-rules").status_code == 200
    assert post(viewer, "/api/insights/alert-rules", GOOD).status_code == 403
    assert client_for(marketer).get("/api/insights/dashboard").status_code == 200
    assert post(client_for(marketer), "/api/insights/alert-rules", GOOD).status_code == 403
    assert post(client_for(analyst), "/api/insights/alert-rules", GOOD).status_code == 201
    nobody = key_client(owner, ["customers.view"])
    assert nobody.get("/api/insights/dashboard").status_code == 403
    assert not AlertRule.objects.filter(created_by=marketer).exists()


def test_dashboard_json_and_its_period_errors(manager, survey):
    for score in [10] * 8 + [0] * 2:
        answer(survey, at=days_ago(1), nps=score)
    body = manager.get("/api/insights/dashboard", {"period": "7"}).json()
    tiles = {t["key"]: t for t in body["tiles"]}
    assert tiles["nps"]["value"] == pytest.approx(60.0)
    assert tiles["nps"]["n"] == 10 and tiles["nps"]["enough_data"] is True
    assert tiles["csat"]["enough_data"] is False and tiles["csat"]["n"] == 0
    assert body["min_n"] == 10
    scoped = manager.get("/api/insights/dashboard",
                         {"period": "7", "survey_id": survey.pk, "channel": "qr"}).json()
    assert {t["key"]: t for t in scoped["tiles"]}["nps"]["n"] == 0
    bad = manager.get("/api/insights/dashboard", {"period": "custom", "since": "2026-05-01",
                                                  "until": "2026-04-01"})
    assert bad.status_code == 422 and "until" in errors(bad)
    assert "period" in errors(manager.get("/api/insights/dashboard", {"period": "12"}))


def test_alert_events_list_with_deliveries(manager, survey, django_capture_on_commit_callbacks,
                                           smtp_server):
    rule_id = post(manager, "/api/insights/alert-rules", {
        "name": "Low NPS", "metric": "nps", "threshold": 0, "min_n": 5,
        "emails": ["cx@example.com"]}).json()["id"]
    for _ in range(5):
        answer(survey, at=days_ago(2), nps=0)
    with django_capture_on_commit_callbacks(execute=True):
        tested = manager.post(f"/api/insights/alert-rules/{rule_id}/test")
    assert tested.status_code == 201 and tested.json()["is_test"] is True
    page = manager.get("/api/insights/alert-events", {"rule_id": rule_id}).json()
    [event] = page["items"]
    assert event["deliveries"][0]["kind"] == "email"
    assert event["deliveries"][0]["status"] == "sent"
    assert manager.get("/api/insights/alert-events",
                       {"include_tests": False}).json()["items"] == []
