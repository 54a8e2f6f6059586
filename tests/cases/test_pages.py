"""The case pages: inbox with filters and counts, a case and its actions, the rules page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.cases import services
from dangol.cases.forms import (
    AssignForm,
    CaseForm,
    NoteForm,
    PriorityForm,
    ResolveForm,
    RuleForm,
    StatusForm,
)
from dangol.cases.models import Case, CaseNote, CaseRule
from dangol.engagement.models import Message
from dangol.surveys.services.responses import submit_response
from tests.cases.conftest import make_rule
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def agent_client(agent) -> Client:
    return client_for(agent)


@pytest.fixture
def cases(agent, admin_user):
    actor = Actor(user=agent)
    mine = services.open_case(actor=actor, customer_pk=CustomerFactory().pk, subject="내 사건",
                              assignee_pk=agent.pk)
    theirs = services.open_case(actor=actor, customer_pk=CustomerFactory().pk,
                                subject="다른 사람 사건", assignee_pk=admin_user.pk,
                                priority="urgent")
    nobody = services.open_case(actor=actor, customer_pk=CustomerFactory().pk,
                                subject="담당자 없음", priority="low")
    late = services.open_case(actor=actor, customer_pk=CustomerFactory().pk,
                              subject="기한 지남")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    done = services.open_case(actor=actor, customer_pk=CustomerFactory().pk, subject="해결됨")
    services.resolve_case(actor=actor, case_pk=done.pk, resolution_code="fixed")
    return {"mine": mine, "theirs": theirs, "nobody": nobody, "late": late, "done": done}


def listed(response) -> set[str]:
    return {c.subject for c in response.context["page"].items}


def test_inbox_filters_and_counts(agent_client, cases):
    response = agent_client.get("/cases/")
    assert response.status_code == 200
    assert listed(response) == {"내 사건", "다른 사람 사건", "담당자 없음", "기한 지남"}
    counts = response.context["counts"]
    assert (counts["active"], counts["mine"], counts["unassigned"], counts["overdue"]) == (
        4, 1, 2, 1)
    assert counts["resolved"] == 1
    assert listed(agent_client.get("/cases/?view=mine")) == {"내 사건"}
    assert listed(agent_client.get("/cases/?view=unassigned")) == {"담당자 없음", "기한 지남"}
    assert listed(agent_client.get("/cases/?view=overdue")) == {"기한 지남"}
    assert listed(agent_client.get("/cases/?view=all&status=resolved")) == {"해결됨"}
    assert listed(agent_client.get("/cases/?view=all&priority=urgent")) == {"다른 사람 사건"}
    # Unknown filter values are ignored rather than failing.
    assert agent_client.get("/cases/?view=x&status=y&priority=z").status_code == 200


def test_inbox_in_korean_and_english(agent_client, cases):
    korean = agent_client.get("/cases/").content.decode()
    assert "내 사건" in korean and 'lang="ko"' in korean
    agent_client.post("/i18n/setlang/", {"language": "en"})
    english = agent_client.get("/cases/").content.decode()
    assert 'lang="en"' in english and "Recovery rate" in english and "내 사건" in english


def test_nav_entry_for_roles_that_see_cases(agent_client):
    page = agent_client.get("/cases/").content.decode()
    assert 'href="/cases/" aria-current="page"' in page


def test_case_page_shows_customer_answers_history_and_notes(survey, agent_client, agent):
    make_rule(assignee=agent)
    customer = CustomerFactory(name="김민수", email="minsu@example.com")
    submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                    answers={"nps": 2, "csat": 1, "comment": "연락 주세요 010-1234-5678"})
    case = Case.objects.get()
    services.add_note(actor=Actor(user=agent), case_pk=case.pk, body="통화 예정")
    response = agent_client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "김민수" in page and "minsu@example.com" in page
    answers = {a.question: a.value for a in response.context["answers"]}
    assert answers["추천하시겠어요?"] == "2" and answers["만족하셨나요?"] == "1"
    assert "010-1234-5678" not in answers["하고 싶은 말씀"]
    assert "010-1234-5678" not in page
    assert "통화 예정" in page
    assert [e.kind for e in response.context["events"]] == ["created", "assigned", "note"]


def post(client, case, **data):
    return client.post(f"/cases/{case.pk}/action/", data, follow=True)


def test_actions_from_the_case_page(agent_client, agent, cases, admin_user):
    case = cases["nobody"]
    post(agent_client, case, action="assign", assignee=str(agent.pk))
    post(agent_client, case, action="status", status="pending")
    post(agent_client, case, action="priority", priority="high")
    post(agent_client, case, action="note", body="메모")
    case.refresh_from_db()
    assert (case.assignee, case.status, case.priority) == (agent, "pending", "high")
    assert CaseNote.objects.filter(case=case, body="메모").exists()
    response = post(agent_client, case, action="resolve", resolution_code="apology",
                    resolution_note="사과드림")
    case.refresh_from_db()
    assert (case.status, case.resolution_code) == ("resolved", "apology")
    assert "reopen-form" in response.content.decode()
    post(agent_client, case, action="close")
    case.refresh_from_db()
    assert case.status == "closed"
    post(agent_client, case, action="reopen", reason="재문의")
    case.refresh_from_db()
    assert case.status == "open" and case.reopened_count == 1
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk),
                                     actor_user=agent).count() >= 6


def label(form_class, field: str, language: str = "ko") -> str:
    with translation.override(language):
        return str(form_class.base_fields[field].label)


@pytest.mark.parametrize(("data", "form_class", "field"), [
    ({"action": "resolve", "resolution_code": ""}, ResolveForm, "resolution_code"),
    ({"action": "resolve", "resolution_code": "bogus"}, ResolveForm, "resolution_code"),
    ({"action": "status", "status": "resolved"}, StatusForm, "status"),
    ({"action": "note", "body": ""}, NoteForm, "body"),
    ({"action": "assign", "assignee": "999999"}, AssignForm, "assignee"),
    ({"action": "priority", "priority": "whenever"}, PriorityForm, "priority"),
])
def test_bad_input_names_the_field_and_changes_nothing(agent_client, cases, data, form_class,
                                                       field):
    case = cases["nobody"]
    before = (case.status, case.priority, case.assignee_id, case.events.count())
    response = post(agent_client, case, **data)
    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee_id, case.events.count()) == before
    problems = messages_of(response)
    assert len(problems) == 1
    # The message starts with the field's label, in the page's language.
    assert problems[0].startswith(label(form_class, field) + ":")


def test_bad_input_message_names_the_field_in_english(agent_client, cases):
    case = cases["nobody"]
    with translation.override("en"):
        agent_client.post("/i18n/setlang/", {"language": "en"})
        response = post(agent_client, case, action="resolve", resolution_code="")
    assert messages_of(response)[0].startswith(label(ResolveForm, "resolution_code", "en") + ":")
    assert messages_of(response)[0] == "Resolution: This field is required."


def test_roles(cases):
    marketer = client_for(make_staff(Role.MARKETER))
    assert marketer.get("/cases/").status_code == 403
    analyst = client_for(make_staff(Role.ANALYST))
    assert analyst.get("/cases/").status_code == 200
    case = cases["nobody"]
    assert analyst.get(f"/cases/{case.pk}/").status_code == 200
    assert analyst.post(f"/cases/{case.pk}/action/",
                        {"action": "note", "body": "x"}).status_code == 403
    assert analyst.get("/cases/new/").status_code == 403
    assert not CaseNote.objects.exists()


def test_open_a_case_by_hand(agent_client, agent):
    customer = CustomerFactory(external_id="C-77")
    response = agent_client.post("/cases/new/", {"customer": "C-77", "subject": "매장 불친절",
                                                 "reason": "전화 항의", "priority": "high",
                                                 "assignee": str(agent.pk)})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.customer, case.priority, case.assignee, case.source) == (
        customer, "high", agent, "manual")
    response = agent_client.post("/cases/new/", {"customer": "nobody", "subject": "x",
                                                 "priority": "high"})
    assert response.status_code == 200 and Case.objects.count() == 1
    assert messages_of(response)[-1].startswith(label(CaseForm, "customer") + ":")


def test_rules_page_creates_and_edits_rules(survey, agent):
    admin = client_for(make_staff(Role.ADMIN))
    response = admin.post("/cases/rules/", {"name": "비추천 고객", "condition": "nps_lte",
                                            "threshold": "6", "priority": "high",
                                            "surveys": [str(survey.pk)],
                                            "default_assignee": str(agent.pk), "active": "on"})
    assert response.status_code == 302
    rule = CaseRule.objects.get()
    assert (rule.threshold, rule.priority, rule.default_assignee, rule.active) == (
        6, "high", agent, True)
    assert list(rule.surveys.all()) == [survey]
    admin.post(f"/cases/rules/{rule.pk}/", {"name": "비추천 고객", "condition": "csat_lte",
                                            "threshold": "2", "priority": "normal"})
    rule.refresh_from_db()
    assert (rule.condition, rule.threshold, rule.active) == ("csat_lte", 2, False)
    assert list(rule.surveys.all()) == []
    assert AuditEntry.objects.filter(object_type="cases.caserule").count() == 2


def test_rules_page_bad_threshold_is_named_and_nothing_saved(agent):
    admin = client_for(make_staff(Role.ADMIN))
    response = admin.post("/cases/rules/", {"name": "CES", "condition": "ces_gte",
                                            "threshold": "9", "priority": "high"})
    assert response.status_code == 200
    assert not CaseRule.objects.exists()
    assert messages_of(response) == [label(RuleForm, "threshold") + ": "
                                     + str(messages_of(response)[0]).split(": ", 1)[1]]
    assert "1" in messages_of(response)[0] and "7" in messages_of(response)[0]


def test_agents_see_rules_but_cannot_change_them(agent_client):
    response = agent_client.get("/cases/rules/")
    assert response.status_code == 200 and "rule-form" not in response.content.decode()
    agent_client.post("/cases/rules/", {"name": "x", "condition": "nps_lte", "threshold": "6",
                                        "priority": "high"})
    assert not CaseRule.objects.exists()


def test_inbox_shows_the_recovery_rate(survey, agent_client, agent):
    make_rule(threshold=6)
    happy_again, still_unhappy = CustomerFactory.create_batch(2)
    for customer in (happy_again, still_unhappy):
        submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                        answers={"nps": 2})
        services.resolve_case(actor=Actor(user=agent),
                              case_pk=Case.objects.get(customer=customer).pk,
                              resolution_code="fixed")
    submit_response(survey=survey, language="ko", customer_pk=happy_again.pk,
                    answers={"nps": 9})
    submit_response(survey=survey, language="ko", customer_pk=still_unhappy.pk,
                    answers={"nps": 4})
    page = agent_client.get("/cases/").content.decode()
    card = page[page.index('data-testid="recovery"'):]
    assert '<div class="num">50%</div>' in card[:200]


def test_reply_from_the_case_page(agent_client, agent, smtp_server,
                                  django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="reply@example.com", phone="")
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk, subject="불만")
    with django_capture_on_commit_callbacks(execute=True):
        post(agent_client, case, action="reply", channel="email", subject="답변드립니다",
             body="불편을 드려 죄송합니다.")
    assert [m["To"] for m in smtp_server.messages] == ["reply@example.com"]
    case.refresh_from_db()
    assert case.status == "open" and case.events.filter(kind="reply").exists()
    # No phone number: the outbox keeps the SMS as blocked and the page says why.
    response = post(agent_client, case, action="reply", channel="sms", body="문자 답변")
    notes = messages_of(response)
    assert len(notes) == 1
    blocked = Message.objects.get(channel="sms")
    assert blocked.status == "blocked" and blocked.block_reason == "no_address"
    with translation.override("ko"):
        reason = str(blocked.get_block_reason_display())
    assert reason in notes[0]
