"""A real Celery worker opens the case of a negative comment after analysing it, and
escalates an overdue case with a mail to its assignee."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.cases import services, tasks
from dangol.cases.models import Case
from dangol.feedback.models import TextAnalysis
from dangol.surveys.services.responses import submit_response
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_opens_a_case_for_a_negative_comment_after_analysis(file_queue, survey):
    make_rule(condition="negative_text", threshold=None, name="Angry comments")
    customer = CustomerFactory()
    angry = "배송이 너무 늦고 포장도 엉망이에요"
    response, _ = submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                                  answers={"nps": 8, "comment": angry})
    happy, _ = submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                               answers={"nps": 10, "comment": "배송이 빨라서 좋아요"})
    assert not Case.objects.exists()  # nothing happens before a worker takes the tasks
    worker = start_worker()
    try:
        wait_for(lambda: Case.objects.filter(response=response).exists(), worker)
        wait_for(lambda: TextAnalysis.objects.filter(response=happy).exists(), worker)
    finally:
        stop_worker(worker)
    case = Case.objects.get()
    assert (case.response, case.rule.name, case.customer) == (response, "Angry comments",
                                                              customer)
    assert TextAnalysis.objects.get(response=response).sentiment == "negative"


def test_the_worker_escalates_and_mails(file_queue, agent, smtp_server):
    case = services.open_case(actor=Actor(user=agent), customer_pk=CustomerFactory().pk,
                              subject="늦은 사건", assignee_pk=agent.pk)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    tasks.escalate_overdue_cases_task.delay()
    worker = start_worker(env={"DANGOL_EMAIL_HOST": smtp_server.host,
                               "DANGOL_EMAIL_PORT": str(smtp_server.port)})
    try:
        wait_for(lambda: len(smtp_server.messages) == 1, worker)
    finally:
        stop_worker(worker)
    assert smtp_server.messages[0]["To"] == agent.email
    case.refresh_from_db()
    assert case.escalated_at is not None
