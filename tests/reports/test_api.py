"""The reports API: CRUD with field-level errors, runs, preview PDF, permissions."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.reports.models import ReportSchedule
from tests.conftest import make_staff
from tests.reports.conftest import client_for, seoul

pytestmark = pytest.mark.django_db

GOOD = {"name": "월간 보고서", "frequency": "monthly", "day_of_month": 31, "hour": 7,
        "language": "ko", "recipients": ["Boss@Example.com", "cx@example.com"],
        "sections": ["summary", "cases"]}


@pytest.fixture
def api(owner) -> Client:
    token = create_api_key(actor=Actor(user=owner), name="reports",
                           scopes=["reports.view", "reports.manage"]).token
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def test_create_read_change_and_delete(api, time_machine, owner):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    response = api.post("/api/reports/schedules", GOOD, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == ["boss@example.com", "cx@example.com"]
    assert body["weekday"] is None and body["owner"] == owner.email
    assert body["next_run_at"] == "2026-11-29T22:00:00Z"  # 30 November 07:00 in Seoul
    pk = body["id"]
    assert api.get(f"/api/reports/schedules/{pk}").json()["name"] == "월간 보고서"
    assert [s["id"] for s in api.get("/api/reports/schedules").json()] == [pk]

    changed = api.patch(f"/api/reports/schedules/{pk}", {"frequency": "weekly", "weekday": 4},
                        content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["day_of_month"] is None and changed.json()["weekday"] == 4
    assert changed.json()["name"] == "월간 보고서"  # fields not sent keep their values
    replaced = api.put(f"/api/reports/schedules/{pk}", {**GOOD, "active": False},
                       content_type="application/json")
    assert replaced.json()["active"] is False and replaced.json()["next_run_at"] is None
    actions = list(AuditEntry.objects.filter(object_type="reports.reportschedule",
                                             object_id=str(pk))
                   .values_list("action", flat=True).order_by("pk"))
    assert actions == ["create", "update", "update"]
    assert api.delete(f"/api/reports/schedules/{pk}").status_code == 204
    assert api.get(f"/api/reports/schedules/{pk}").status_code == 404
    assert not ReportSchedule.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"recipients": ["boss@example.com", "not-an-address"]}, "recipients"),
    ({"recipients": []}, "recipients"),
    ({"frequency": "weekly", "weekday": None}, "weekday"),
    ({"frequency": "weekly", "weekday": 7}, "weekday"),
    ({"day_of_month": 0}, "day_of_month"),
    ({"frequency": "hourly"}, "frequency"),
    ({"hour": 24}, "hour"),
    ({"language": "ja"}, "language"),
    ({"sections": ["summary", "gossip"]}, "sections"),
    ({"name": "  "}, "name"),
    ({"survey_id": 999999}, "survey"),
])
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(api, change, field):
    response = api.post("/api/reports/schedules", {**GOOD, **change},
                        content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]]
    assert not ReportSchedule.objects.exists()


def test_unknown_sections_are_named(api):
    response = api.post("/api/reports/schedules", {**GOOD, "sections": ["summary", "gossip"]},
                        content_type="application/json")
    assert response.json()["errors"][0]["message"] == (
        "Unknown sections: gossip (known: summary, trend, themes, cases, loyalty).")


def test_bad_address_message_names_the_address(api):
    response = api.post("/api/reports/schedules", {**GOOD, "recipients": ["x@y"]},
                        content_type="application/json")
    assert response.json()["errors"] == [
        {"field": "recipients", "message": "Not an e-mail address: x@y."}]


def test_runs_send_now_and_preview_pdf(api, smtp_server, time_machine,
                                       django_capture_on_commit_callbacks):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    pk = api.post("/api/reports/schedules", GOOD, content_type="application/json").json()["id"]
    assert api.get(f"/api/reports/schedules/{pk}/runs").json() == []
    preview = api.get(f"/api/reports/schedules/{pk}/preview.pdf")
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(preview.content)).pages[0].extract_text()
    assert "월간 보고서" in text and "2026-09-01 ~ 2026-09-30" in text  # before 31 Oct
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/api/reports/schedules/{pk}/send")
    assert sent.status_code == 202 and sent.json()["trigger"] == "manual"
    runs = api.get(f"/api/reports/schedules/{pk}/runs").json()
    assert [(r["status"], r["period_start"], r["period_end"]) for r in runs] == [
        ("sent", "2026-09-01", "2026-10-01")]
    assert sorted(runs[0]["message_ids"]) == ["boss@example.com", "cx@example.com"]
    assert runs[0]["headline"] == {"nps": None, "nps_before": None, "responses": 0,
                                   "responses_before": 0, "csat": None, "open_cases": 0,
                                   "overdue_cases": 0, "sla_breaches": 0}
    assert len(smtp_server.messages) == 2
    stored = api.get(f"/api/reports/runs/{runs[0]['id']}/report.pdf")
    assert stored.status_code == 200 and stored.content.startswith(b"%PDF")
    assert len(stored.content) == runs[0]["pdf_size"]


@pytest.mark.parametrize(("role", "can_view", "can_manage"), [
    (Role.ADMIN, True, True), (Role.ANALYST, True, True), (Role.MARKETER, True, False),
    (Role.AGENT, False, False)])
def test_roles(role, can_view, can_manage, db):
    client = client_for(role)
    assert (client.get("/api/reports/schedules").status_code == 200) == can_view
    created = client.post("/api/reports/schedules", GOOD, content_type="application/json")
    assert (created.status_code == 201) == can_manage
    if not can_manage:
        assert created.status_code == 403 and created.json()["code"] == "permission_denied"


def test_a_key_without_the_manage_scope_cannot_send(owner, db):
    token = create_api_key(actor=Actor(user=owner), name="ro", scopes=["reports.view"]).token
    client = Client(headers={"Authorization": f"Bearer {token}"})
    schedule_owner = make_staff(Role.ADMIN, "admin2@example.com")
    from tests.reports.conftest import make_schedule

    schedule = make_schedule(actor=Actor(user=schedule_owner), frequency="daily")
    assert client.get(f"/api/reports/schedules/{schedule.pk}").status_code == 200
    assert client.post(f"/api/reports/schedules/{schedule.pk}/send").status_code == 403
    assert client.delete(f"/api/reports/schedules/{schedule.pk}").status_code == 403


def test_listing_schedules_costs_the_same_queries_for_many(api, django_assert_num_queries,
                                                           owner):
    from tests.reports.conftest import make_schedule

    make_schedule(actor=Actor(user=owner), frequency="daily")
    api.get("/api/reports/schedules")  # the key's first use is written down once
    with django_assert_num_queries(2) as one:  # the API key, the list
        api.get("/api/reports/schedules")
    for n in range(5):
        make_schedule(actor=Actor(user=owner), name=f"r{n}", frequency="daily")
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api.get("/api/reports/schedules").json()) == 6


def test_the_scheduler_runs_the_report_job_every_minute(settings):
    from dangol.config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["start-due-reports"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


def test_the_openapi_document_describes_the_pdf_endpoints(db):
    spec = Client().get("/api/openapi.json").json()
    preview = spec["paths"]["/api/reports/schedules/{schedule_id}/preview.pdf"]["get"]
    assert list(preview["responses"]["200"]["content"]) == ["application/pdf"]
    assert "/api/reports/schedules/{schedule_id}/runs" in spec["paths"]
