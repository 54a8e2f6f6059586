"""After a case: the customer timeline, SLA escalation mail, and the recovery rate."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.cases import services, tasks
from dangol.cases.models import Case
from dangol.cases.selectors import recovery_rate
from dangol.surveys.services.responses import submit_response
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_cases_show_on_the_customer_timeline(owner, agent):
    customer = CustomerFactory()
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk,
                              subject="배송 파손")
    client = Client()
    client.force_login(owner)
    response = client.get(f"/customers/{customer.pk}/")
    entries = [e for e in response.context["timeline"] if e.kind == "case"]
    assert len(entries) == 1 and "배송 파손" in str(entries[0].title)
    assert entries[0].url == f"/cases/{case.pk}/"
    assert f'href="/cases/{case.pk}/"' in response.content.decode()


def overdue_case(agent=None):
    case = services.open_case(actor=Actor(user=agent) if agent else Actor(label="t"),
                              customer_pk=CustomerFactory().pk, subject="늦은 사건",
                              assignee_pk=agent.pk if agent else None)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    return case


def test_escalation_mails_the_assignee_once(agent, smtp_server):
    case = overdue_case(agent)
    assert tasks.escalate_overdue_cases_task.delay().get() == 1
    assert [m["To"] for m in smtp_server.messages] == [agent.email]
    mail = smtp_server.messages[0]
    assert f"#{case.pk}" in mail["Subject"] and f"/cases/{case.pk}/" in mail.text()
    assert tasks.escalate_overdue_cases_task.delay().get() == 0
    assert len(smtp_server.messages) == 1
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert case.events.filter(kind="escalated").count() == 1


def test_escalation_without_assignee_mails_admins_and_owners(owner, admin_user, agent,
                                                             smtp_server):
    overdue_case()
    tasks.escalate_overdue_cases_task.delay().get()
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([owner.email,
                                                                    admin_user.email])


def test_a_case_resolved_before_the_mail_is_sent_mails_nobody(agent, smtp_server):
    case = overdue_case(agent)
    assert services.escalate_overdue_cases() == [case.pk]
    services.resolve_case(actor=Actor(user=agent), case_pk=case.pk, resolution_code="fixed")
    assert tasks.send_escalation_mail_task.delay(case.pk).get() == 0
    assert smtp_server.messages == []


def test_escalation_is_scheduled():
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "dangol.cases.tasks.escalate_overdue_cases_task" in tasks_scheduled


def answer(survey, customer, nps, at=None):
    response, _ = submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                                  answers={"nps": nps})
    return response


def test_recovery_rate_counts_the_next_nps_answer_after_resolution(survey, agent):
    make_rule(threshold=6)
    actor = Actor(user=agent)
    recovered, still_unhappy, promoter, silent, unresolved = CustomerFactory.create_batch(5)
    for customer in (recovered, still_unhappy, promoter, silent, unresolved):
        answer(survey, customer, 3)
    for customer in (recovered, still_unhappy, promoter, silent):
        case = Case.objects.get(customer=customer)
        services.resolve_case(actor=actor, case_pk=case.pk, resolution_code="fixed")
    answer(survey, recovered, 7)
    answer(survey, still_unhappy, 5)
    answer(survey, promoter, 10)
    answer(survey, promoter, 2)  # only the next answer counts
    answer(survey, unresolved, 9)
    result = recovery_rate()
    assert (result.resolved, result.answered_again, result.recovered, result.promoters) == (
        4, 3, 2, 1)
    assert result.rate == pytest.approx(2 / 3)


def test_recovery_rate_without_surveys_is_empty(db):
    assert recovery_rate().rate is None


# --- the follow-up survey -------------------------------------------------------------


@pytest.fixture
def followup_survey(owner):
    from dangol.surveys.services.surveys import create_survey
    from tests.cases.conftest import CX_SURVEY

    return create_survey(actor=Actor(user=owner), name="Follow-up",
                         title={"ko": "다시 여쭙니다", "en": "How are we doing now?"},
                         definition=CX_SURVEY, publish=True)


def test_resolved_case_invites_the_customer_to_the_follow_up_survey_when_due(
        survey, followup_survey, agent, smtp_server, django_capture_on_commit_callbacks):
    from dangol.surveys.models import Invitation

    rule = make_rule(threshold=6)
    rule.followup_survey, rule.followup_days = followup_survey, 3
    rule.save()
    customer = CustomerFactory(email="again@example.com")
    answer(survey, customer, 2)
    case = Case.objects.get()
    assert case.followup_survey == followup_survey and case.followup_at is None
    services.resolve_case(actor=Actor(user=agent), case_pk=case.pk, resolution_code="refund")
    case.refresh_from_db()
    assert case.followup_at == case.resolved_at + timedelta(days=3)
    assert services.send_due_followups(now=case.followup_at - timedelta(minutes=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_followups(now=case.followup_at) == [case.pk]
    invitation = Invitation.objects.get(survey=followup_survey)
    assert (invitation.customer, invitation.channel, invitation.wave) == (
        customer, "email", f"case-followup:{case.pk}:0")
    assert [m["To"] for m in smtp_server.messages] == ["again@example.com"]
    assert services.send_due_followups(now=case.followup_at + timedelta(days=1)) == []
    case.refresh_from_db()
    assert case.followup_sent_at == case.followup_at
    event = case.events.get(kind="followup")
    assert event.new_value == "Follow-up" and "email" in event.detail


def test_follow_up_respects_the_contact_frequency_rule_and_says_so(
        survey, followup_survey, agent, settings):
    from dangol.surveys.models import Invitation

    customer = CustomerFactory()
    # Invited to another survey today: within the contact-frequency window.
    Invitation.objects.create(survey=survey, customer=customer, wave="earlier",
                              expires_at=timezone.now() + timedelta(days=9),
                              last_contacted_at=timezone.now())
    case = services.open_case(actor=Actor(user=agent), customer_pk=customer.pk, subject="x")
    services.resolve_case(actor=Actor(user=agent), case_pk=case.pk, resolution_code="fixed",
                          followup_survey_pk=followup_survey.pk)
    case.refresh_from_db()
    assert services.send_due_followups(now=case.followup_at) == [case.pk]
    assert not Invitation.objects.filter(survey=followup_survey).exists()
    assert "contacted_recently" in case.events.get(kind="followup").detail


def test_reopening_before_the_follow_up_cancels_it_until_resolved_again(
        followup_survey, agent):
    case = services.open_case(actor=Actor(user=agent), customer_pk=CustomerFactory().pk,
                              subject="x")
    services.resolve_case(actor=Actor(user=agent), case_pk=case.pk, resolution_code="fixed",
                          followup_survey_pk=followup_survey.pk)
    services.reopen_case(actor=Actor(user=agent), case_pk=case.pk)
    case.refresh_from_db()
    assert case.followup_at is None and case.followup_survey == followup_survey
    assert services.send_due_followups(now=timezone.now() + timedelta(days=30)) == []


def test_unknown_follow_up_survey_is_named(agent):
    from dangol.core.errors import ValidationFailed

    case = services.open_case(actor=Actor(user=agent), customer_pk=CustomerFactory().pk,
                              subject="x")
    with pytest.raises(ValidationFailed) as error:
        services.resolve_case(actor=Actor(user=agent), case_pk=case.pk,
                              resolution_code="fixed", followup_survey_pk=999999)
    assert [p.field for p in error.value.problems] == ["followup_survey"]
    case.refresh_from_db()
    assert case.status == "new"


def test_follow_ups_are_scheduled_in_the_daytime():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["send-case-followups"]
    assert entry["task"] == "dangol.cases.tasks.send_case_followups_task"
    assert set(entry["schedule"].hour) == set(range(9, 21))
