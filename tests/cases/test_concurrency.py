"""Opening cases from one response in several connections at once opens each case once.

Threads each use their own database connection and commit for real. On
PostgreSQL the second insert waits for the first and is refused by the unique
constraint; on SQLite the writers take turns.
"""


import pytest

from dangol.cases.models import Case, CaseEvent
from dangol.cases.services import automation
from dangol.cases.tasks import open_cases_from_text_task
from dangol.surveys.services.responses import submit_response
from dangol.webhooks.models import Event
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory
from tests.fixtures_threads import run_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_concurrent_openings_for_one_response_open_one_case_per_rule(survey):
    make_rule(name="Detractors", threshold=6)
    make_rule(name="Strong detractors", threshold=3, priority="urgent")
    response, _ = submit_response(survey=survey, language="ko", answers={"nps": 9},
                                  customer_pk=CustomerFactory().pk)
    # The answers change to a detractor's after the completion (as a re-run would see them).
    type(response).objects.filter(pk=response.pk).update(answers={"nps": 2})
    results = run_threads(THREADS, lambda _i: len(
        automation.open_cases_for_response(response_pk=response.pk)))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 2  # type: ignore[arg-type]
    assert Case.objects.filter(response=response).count() == 2
    assert CaseEvent.objects.filter(kind="created").count() == 2
    assert Event.objects.filter(type="case.created").count() == 2


def test_concurrent_text_checks_open_one_case(survey):
    response, _ = submit_response(survey=survey, language="en", answers={
        "nps": 8, "comment": "Terrible, the worst service I have ever had"},
        customer_pk=CustomerFactory().pk)
    # The rule comes after the completion, so that only the threads below check it.
    make_rule(condition="negative_text", threshold=None)
    assert not Case.objects.exists()
    results = run_threads(4, lambda _i: open_cases_from_text_task(response.pk))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 1  # type: ignore[arg-type]
    assert Case.objects.filter(response=response).count() == 1
