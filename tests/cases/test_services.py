"""Staff work on cases: assign, status, priority, notes, resolve, close, reopen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.cases import services, sla
from dangol.cases.models import Case, CaseNote
from dangol.core.errors import NotFound, PermissionDenied, ValidationFailed
from dangol.webhooks.models import Event
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(agent) -> Case:
    return services.open_case(actor=Actor(user=agent), customer_pk=CustomerFactory().pk,
                              subject="배송 지연 불만", reason="전화로 항의", priority="normal")


def fields(error: ValidationFailed) -> list[str]:
    return [p.field for p in error.problems]


def test_manual_case_has_history_audit_webhook_and_sla(agent):
    customer = CustomerFactory()
    before = timezone.now()
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk,
                              subject="환불 요청", priority="urgent", assignee_pk=agent.pk)
    assert (case.source, case.status, case.assignee, case.created_by) == (
        "manual", "new", agent, agent)
    assert case.due_at >= before + timedelta(hours=sla.hours_for("urgent"))
    assert list(case.events.values_list("kind", flat=True)) == ["created", "assigned"]
    assert AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk),
                                     action="create").exists()
    assert Event.objects.get(type="case.created").payload["subject"] == "환불 요청"


@pytest.mark.parametrize(("changes", "field"), [
    ({"subject": "  "}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"priority": "soon"}, "priority"),
    ({"customer_pk": 0}, "customer"),
])
def test_bad_manual_case_names_the_field_and_saves_nothing(agent, changes, field):
    values = {"customer_pk": CustomerFactory().pk, "subject": "불만", "priority": "normal"}
    with pytest.raises(ValidationFailed) as error:
        services.open_case(actor=Actor(user=agent), **(values | changes))
    assert fields(error.value) == [field]
    assert not Case.objects.exists()


def test_only_staff_who_work_cases_can_be_assigned(case, agent):
    marketer = make_staff(Role.MARKETER)
    with pytest.raises(ValidationFailed) as error:
        services.assign_case(actor=Actor(user=agent), case_pk=case.pk, assignee_pk=marketer.pk)
    assert fields(error.value) == ["assignee"]
    admin = make_staff(Role.ADMIN)
    services.assign_case(actor=Actor(user=agent), case_pk=case.pk, assignee_pk=admin.pk)
    case.refresh_from_db()
    assert case.assignee == admin
    event = case.events.filter(kind="assigned").get()
    assert (event.old_value, event.new_value, event.actor_user) == ("", admin.email, agent)


def test_roles_without_case_work_are_refused(case):
    for role in (Role.MARKETER, Role.ANALYST):
        with pytest.raises(PermissionDenied):
            services.add_note(actor=Actor(user=make_staff(role)), case_pk=case.pk, body="hi")
    assert not CaseNote.objects.exists()


def test_status_moves_and_first_response(case, agent):
    actor = Actor(user=agent)
    services.change_status(actor=actor, case_pk=case.pk, status="open")
    case.refresh_from_db()
    assert case.status == "open" and case.first_response_at is not None
    first = case.first_response_at
    services.change_status(actor=actor, case_pk=case.pk, status="pending")
    case.refresh_from_db()
    assert (case.status, case.first_response_at) == ("pending", first)
    with pytest.raises(ValidationFailed) as error:
        services.change_status(actor=actor, case_pk=case.pk, status="new")
    assert fields(error.value) == ["status"]
    with pytest.raises(ValidationFailed):
        services.change_status(actor=actor, case_pk=case.pk, status="resolved")
    case.refresh_from_db()
    assert case.status == "pending"
    assert [(e.old_value, e.new_value) for e in case.events.filter(kind="status")] == [
        ("new", "open"), ("open", "pending")]


def test_resolve_needs_a_resolution_code(case, agent):
    actor = Actor(user=agent)
    with pytest.raises(ValidationFailed) as error:
        services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="")
    assert fields(error.value) == ["resolution_code"]
    case.refresh_from_db()
    assert case.status == "new" and not Event.objects.filter(type="case.resolved").exists()
    services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="refund",
                          note="5,000원 쿠폰 발급")
    case.refresh_from_db()
    assert (case.status, case.resolution_code, case.resolution_note) == (
        "resolved", "refund", "5,000원 쿠폰 발급")
    assert case.resolved_at is not None
    assert Event.objects.get(type="case.resolved").payload["resolution_code"] == "refund"
    with pytest.raises(ValidationFailed):
        services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="fixed")


def test_close_only_after_resolving_and_reopen_restarts_the_clock(case, agent):
    actor = Actor(user=agent)
    with pytest.raises(ValidationFailed):
        services.close_case(actor=actor, case_pk=case.pk)
    services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="fixed")
    services.close_case(actor=actor, case_pk=case.pk)
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    before = timezone.now()
    services.reopen_case(actor=actor, case_pk=case.pk, reason="고객 재문의")
    case.refresh_from_db()
    assert (case.status, case.resolution_code, case.reopened_count) == ("open", "", 1)
    assert case.resolved_at is None and case.closed_at is None
    assert case.due_at >= before + timedelta(hours=sla.hours_for(case.priority))
    assert case.events.filter(kind="reopened").get().detail == "고객 재문의"
    with pytest.raises(ValidationFailed):
        services.reopen_case(actor=actor, case_pk=case.pk)


def test_priority_change_moves_the_due_time_by_the_difference(case, agent):
    due = case.due_at
    services.change_priority(actor=Actor(user=agent), case_pk=case.pk, priority="urgent")
    case.refresh_from_db()
    assert case.due_at == due - timedelta(hours=sla.hours_for("normal")
                                          - sla.hours_for("urgent"))
    event = case.events.get(kind="priority")
    assert (event.old_value, event.new_value) == ("normal", "urgent")


def test_internal_note_is_kept_with_history(case, agent):
    note = services.add_note(actor=Actor(user=agent), case_pk=case.pk, body="고객과 통화함")
    assert (note.author, note.body) == (agent, "고객과 통화함")
    assert case.events.get(kind="note").detail == "고객과 통화함"
    with pytest.raises(ValidationFailed) as error:
        services.add_note(actor=Actor(user=agent), case_pk=case.pk, body=" ")
    assert fields(error.value) == ["body"]


def test_unknown_case_is_not_found(agent):
    with pytest.raises(NotFound):
        services.change_status(actor=Actor(user=agent), case_pk=999, status="open")


def test_update_case_is_all_or_nothing(case, agent):
    with pytest.raises(ValidationFailed) as error:
        services.update_case(actor=Actor(user=agent), case_pk=case.pk, priority="high",
                             status="resolved")
    assert fields(error.value) == ["resolution_code"]
    case.refresh_from_db()
    assert (case.priority, case.status) == ("normal", "new")
    assert not case.events.filter(kind="priority").exists()
    services.update_case(actor=Actor(user=agent), case_pk=case.pk, priority="high",
                         assignee_pk=agent.pk, status="resolved", resolution_code="apology")
    case.refresh_from_db()
    assert (case.priority, case.assignee, case.status) == ("high", agent, "resolved")


def test_rules_need_a_threshold_in_the_scale_and_only_admins_edit_them(agent, admin_user):
    data = services.RuleInput(name="NPS", condition="nps_lte", threshold=11)
    with pytest.raises(PermissionDenied):
        services.save_rule(actor=Actor(user=agent), data=data)
    with pytest.raises(ValidationFailed) as error:
        services.save_rule(actor=Actor(user=admin_user), data=data)
    assert fields(error.value) == ["threshold"]
    bad = services.RuleInput(name="", condition="csat_lte", threshold=None, priority="x",
                             survey_pks=[12345])
    with pytest.raises(ValidationFailed) as error:
        services.save_rule(actor=Actor(user=admin_user), data=bad)
    assert fields(error.value) == ["name", "threshold", "priority", "surveys"]
    rule = services.save_rule(actor=Actor(user=admin_user), data=services.RuleInput(
        name="Angry", condition="negative_text", threshold=3))
    assert rule.threshold is None  # not used by text rules
