"""The cases REST API: list with filters, get, open by hand, update, notes, replies."""

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.cases import services
from dangol.cases.models import Case, CaseNote
from dangol.engagement.models import Message
from dangol.webhooks.models import Event
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def client_with(owner, scopes) -> Client:
    token = create_api_key(actor=Actor(user=owner), name="t", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def api(owner) -> Client:
    return client_with(owner, ["cases.view", "cases.work"])


@pytest.fixture
def customer():
    return CustomerFactory(external_id="C-1", email="c1@example.com", phone="+821012345678")


def test_open_get_and_list_cases(api, customer, agent):
    response = api.post("/api/cases", {"customer_id": "C-1", "subject": "환불 요청",
                                       "priority": "high", "assignee_id": agent.pk},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer_id"], body["status"], body["priority"], body["assignee"]) == (
        "C-1", "new", "high", agent.email)
    assert body["overdue"] is False
    case_id = body["id"]
    detail = api.get(f"/api/cases/{case_id}").json()
    assert [e["kind"] for e in detail["events"]] == ["created", "assigned"]
    other = CustomerFactory(external_id="C-2")
    services.open_case(actor=Actor(user=agent), customer_pk=other.pk, subject="기타",
                       priority="low")
    assert [c["subject"] for c in api.get("/api/cases").json()["items"]] == ["기타", "환불 요청"]
    assert [c["id"] for c in api.get("/api/cases?priority=high").json()["items"]] == [case_id]
    assert [c["id"] for c in api.get(f"/api/cases?assignee_id={agent.pk}").json()["items"]] == [
        case_id]
    assert [c["subject"] for c in api.get("/api/cases?unassigned=true").json()["items"]] == [
        "기타"]
    assert [c["id"] for c in api.get("/api/cases?customer_id=C-1").json()["items"]] == [case_id]
    assert api.get("/api/cases?customer_id=nobody").json()["items"] == []
    page = api.get("/api/cases?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(f"/api/cases?limit=1&cursor={page['next_cursor']}").json()
    assert [c["id"] for c in rest["items"]] == [case_id]


@pytest.mark.parametrize(("payload", "field"), [
    ({"customer_id": "nobody", "subject": "x"}, "customer_id"),
    ({"customer_id": "C-1", "subject": " "}, "subject"),
    ({"customer_id": "C-1", "subject": "x", "priority": "soon"}, "priority"),
    ({"customer_id": "C-1", "subject": "x", "assignee_id": 999999}, "assignee"),
    ({"customer_id": "C-1", "subject": "x", "colour": "red"}, "colour"),
])
def test_bad_case_is_refused_with_the_field_named(api, customer, payload, field):
    response = api.post("/api/cases", payload, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [field]
    assert not Case.objects.exists()


def test_patch_resolves_reopens_and_unassigns(api, customer, agent):
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk, subject="불만",
                              assignee_pk=agent.pk)
    url = f"/api/cases/{case.pk}"
    response = api.patch(url, {"status": "resolved"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "resolution_code"
    response = api.patch(url, {"resolution_code": "explained", "resolution_note": "설명함",
                               "assignee_id": None}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["resolution_code"], body["assignee"]) == (
        "resolved", "explained", None)
    assert Event.objects.filter(type="case.resolved").count() == 1
    body = api.patch(url, {"status": "open"}, content_type="application/json").json()
    assert (body["status"], body["reopened_count"], body["resolution_code"]) == ("open", 1, "")
    assert api.patch("/api/cases/999999", {"status": "open"},
                     content_type="application/json").status_code == 404


def test_notes_and_replies(api, customer, agent, smtp_server,
                           django_capture_on_commit_callbacks):
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk, subject="불만")
    response = api.post(f"/api/cases/{case.pk}/notes", {"body": "확인 중"},
                        content_type="application/json")
    assert response.status_code == 201 and CaseNote.objects.get().body == "확인 중"
    assert api.post(f"/api/cases/{case.pk}/notes", {"body": ""},
                    content_type="application/json").status_code == 422
    response = api.post(f"/api/cases/{case.pk}/replies", {"channel": "email", "body": "죄송합니다"},
                        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/cases/{case.pk}/replies",
                            {"channel": "email", "subject": "문의 답변", "body": "죄송합니다"},
                            content_type="application/json")
    assert response.status_code == 201, response.content
    message = Message.objects.get()
    assert (message.purpose, message.source, message.to_address) == (
        "transactional", f"case:{case.pk}", "c1@example.com")
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "문의 답변" and "죄송합니다" in mail.text()
    assert "(광고)" not in mail["Subject"]
    case.refresh_from_db()
    assert case.status == "open" and case.first_response_at is not None
    assert case.events.filter(kind="reply").get().new_value == f"email:{message.pk}"


def test_scopes_and_roles_are_enforced(owner, customer, agent):
    read_only = client_with(owner, ["cases.view"])
    assert read_only.get("/api/cases").status_code == 200
    response = read_only.post("/api/cases", {"customer_id": "C-1", "subject": "x"},
                              content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    marketer = make_staff(Role.MARKETER, "m@example.com")
    # A key never does more than its creator may.
    no_role = client_with(owner, [])
    assert no_role.get("/api/cases").status_code == 403
    assert not Case.objects.exists()
    assert marketer.has_perm("cases.view") is False
    assert Client().get("/api/cases").status_code == 401
