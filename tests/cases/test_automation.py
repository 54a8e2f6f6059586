"""Cases opened by rules when a survey response is completed."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangol.cases import services, sla
from dangol.cases.models import Case, CaseEvent, Status
from dangol.surveys.services.responses import submit_response
from dangol.webhooks.models import Event
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def answer(survey, customer=None, **answers):
    response, created = submit_response(survey=survey, answers=answers, language="ko",
                                        customer_pk=customer.pk if customer else None)
    assert created
    return response


def test_detractor_opens_one_case_with_the_rules_priority_assignee_and_due_time(survey, agent):
    rule = make_rule(threshold=6, priority="high", assignee=agent)
    customer = CustomerFactory()
    before = timezone.now()
    response = answer(survey, customer, nps=3)
    case = Case.objects.get()
    assert (case.customer, case.response, case.rule) == (customer, response, rule)
    assert (case.source, case.status, case.priority) == ("survey_response", "new", "high")
    assert case.assignee == agent
    assert "NPS 3" in case.reason and survey.name in case.subject
    hours = sla.hours_for("high")
    assert before + timedelta(hours=hours) <= case.due_at <= timezone.now() + timedelta(
        hours=hours)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["created", "assigned"]
    event = Event.objects.get(type="case.created")
    assert event.payload["case_id"] == case.pk
    assert event.payload["customer_id"] == customer.external_id


@pytest.mark.parametrize(("condition", "threshold", "answers", "opens"), [
    ("nps_lte", 6, {"nps": 6}, True),
    ("nps_lte", 6, {"nps": 7}, False),
    ("csat_lte", 2, {"nps": 9, "csat": 2}, True),
    ("csat_lte", 2, {"nps": 9, "csat": 3}, False),
    ("csat_lte", 2, {"nps": 1}, False),  # no CSAT answer: the rule has nothing to test
    ("ces_gte", 5, {"nps": 9, "ces": 5}, True),
    ("ces_gte", 5, {"nps": 9, "ces": 4}, False),
])
def test_score_conditions(survey, condition, threshold, answers, opens):
    make_rule(condition=condition, threshold=threshold)
    answer(survey, CustomerFactory(), **answers)
    assert Case.objects.exists() is opens


def test_rule_limited_to_surveys_and_inactive_rules_open_nothing(survey, other_survey):
    make_rule(surveys=[other_survey], name="Other only")
    make_rule(name="Off", active=False)
    answer(survey, CustomerFactory(), nps=0)
    assert not Case.objects.exists()
    answer(other_survey, CustomerFactory(), nps=0)
    assert Case.objects.get().rule.name == "Other only"


def test_two_matching_rules_open_two_cases_for_one_response(survey):
    make_rule(name="Detractors")
    make_rule(name="Strong detractors", threshold=2, priority="urgent")
    answer(survey, CustomerFactory(), nps=1)
    assert sorted(Case.objects.values_list("priority", flat=True)) == ["high", "urgent"]


def test_opening_again_for_the_same_response_opens_nothing(survey):
    make_rule()
    response = answer(survey, CustomerFactory(), nps=2)
    assert services.open_cases_for_response(response_pk=response.pk) == []
    assert services.open_cases_for_response(response_pk=response.pk) == []
    assert Case.objects.count() == 1
    assert Event.objects.filter(type="case.created").count() == 1


def test_the_database_refuses_a_second_case_for_the_same_response_and_rule(survey):
    rule = make_rule()
    response = answer(survey, CustomerFactory(), nps=2)
    first = Case.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(customer=first.customer, source="survey_response",
                            response=response, rule=rule, subject="again",
                            due_at=first.due_at)


def test_anonymous_detractor_opens_a_case_without_customer(survey):
    make_rule()
    answer(survey, None, nps=0)
    assert Case.objects.get().customer is None


def test_inactive_default_assignee_leaves_the_case_unassigned(survey, agent):
    make_rule(assignee=agent)
    agent.is_active = False
    agent.save()
    answer(survey, CustomerFactory(), nps=0)
    assert Case.objects.get().assignee is None


def test_negative_comment_opens_a_case_after_the_text_analysis(
        survey, django_capture_on_commit_callbacks):
    make_rule(condition="negative_text", threshold=None, name="Angry comments")
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, CustomerFactory(), nps=9, comment="배송이 너무 늦어요. 정말 실망했어요")
    case = Case.objects.get()
    assert case.rule.name == "Angry comments"
    assert "배송" in case.reason
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, CustomerFactory(), nps=10, comment="배송이 빨라서 좋아요")
    assert Case.objects.count() == 1


def test_negative_text_rule_run_twice_opens_one_case(survey,
                                                     django_capture_on_commit_callbacks):
    make_rule(condition="negative_text", threshold=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(survey, CustomerFactory(), nps=9, comment="Terrible service, awful")
    assert services.open_cases_for_text(response_pk=response.pk) == []
    assert Case.objects.filter(response=response).count() == 1


def test_overdue_cases_are_escalated_once_with_history(survey, agent):
    make_rule(assignee=agent)
    answer(survey, CustomerFactory(), nps=0)
    case = Case.objects.get()
    assert services.escalate_overdue_cases(now=timezone.now()) == []
    later = case.due_at + timedelta(minutes=1)
    assert services.escalate_overdue_cases(now=later) == [case.pk]
    assert services.escalate_overdue_cases(now=later) == []
    case.refresh_from_db()
    assert case.escalated_at == later
    assert case.events.filter(kind="escalated").count() == 1


def test_resolved_cases_are_not_escalated(survey, agent):
    make_rule()
    answer(survey, CustomerFactory(), nps=0)
    case = Case.objects.get()
    case.status, case.resolution_code = Status.RESOLVED, "fixed"
    case.save()
    assert services.escalate_overdue_cases(now=case.due_at + timedelta(days=1)) == []


def test_a_survey_without_rules_costs_one_query_at_completion(survey,
                                                              django_assert_num_queries):
    from dangol.cases.services.automation import handle_completion

    response = answer(survey, CustomerFactory(), nps=0)
    with django_assert_num_queries(1):
        assert handle_completion(response_pk=response.pk, survey_pk=survey.pk) is False
    assert not Case.objects.exists()
