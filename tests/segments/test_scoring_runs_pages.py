"""Scoring-run pages: the list, a run with its chunks and reason, start now, resume."""

import pytest
from django.test import Client

from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.segments.models import ScoringRun
from dangol.segments.services import score_customers
from dangol.segments.tasks import score_customers_task
from tests.conftest import make_staff
from tests.segments.test_scoring import AS_OF, population
from tests.segments.test_scoring_runs import recent_population

pytestmark = pytest.mark.django_db


def staff_client(role: str) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(make_staff(role))
    return client


def test_an_analyst_sees_runs_and_a_run_with_its_models_but_no_buttons(
        django_capture_on_commit_callbacks):
    population()
    with django_capture_on_commit_callbacks(execute=True):
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    client = staff_client(Role.ANALYST)

    page = client.get("/segments/scoring/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-run="{result.run_id}" data-status="done"' in html
    assert "3/3" in html and 'data-testid="start-scoring"' not in html
    assert "Runs every night at 03:00." in html
    detail = client.get(f"/segments/scoring/{result.run_id}/").content.decode()
    assert 'data-testid="model-bgnbd"' in detail and 'data-testid="model-gammagamma"' in detail
    assert detail.count('<tr data-status="done">') == 3
    assert 'data-testid="resume-scoring"' not in detail
    assert client.post("/segments/scoring/start/").status_code == 403
    assert client.get("/segments/scoring/999/").status_code == 404


def test_an_admin_starts_scoring_from_the_page_and_cannot_start_twice(
        django_capture_on_commit_callbacks):
    recent_population()
    client = staff_client(Role.ADMIN)
    assert 'data-testid="start-scoring"' in client.get("/segments/scoring/").content.decode()

    with django_capture_on_commit_callbacks() as queued:
        started = client.post("/segments/scoring/start/")
    run = ScoringRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/segments/scoring/{run.pk}/"
    running = client.get(started["Location"]).content.decode()
    assert 'data-status="running"' in running and "hx-trigger" in running
    listing = client.get("/segments/scoring/").content.decode()
    assert "disabled" in listing and "A run is running" in listing
    refused = client.post("/segments/scoring/start/", follow=True).content.decode()
    assert f"Scoring run {run.pk} is still running" in refused
    assert ScoringRun.objects.count() == 1

    for send in queued:
        send()
    done = client.get(f"/segments/scoring/{run.pk}/").content.decode()
    assert 'data-status="done"' in done and "hx-trigger" not in done
    assert 'data-testid="resume-scoring"' not in done
    assert AuditEntry.objects.filter(action="scoring.start", object_id=str(run.pk)).exists()


def test_a_failed_run_shows_the_reason_and_resumes_from_the_page(
        django_capture_on_commit_callbacks):
    population()
    with django_capture_on_commit_callbacks() as queued:
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    for send in queued[1:]:
        send()
    ScoringRun.objects.filter(pk=result.run_id).update(
        status=ScoringRun.Status.FAILED, error_code=ScoringRun.ErrorCode.WORKER_LOST,
        error="customers 1-20: the worker stopped without finishing 3 times")
    client = staff_client(Role.OWNER)

    page = client.get(f"/segments/scoring/{result.run_id}/").content.decode()

    assert 'data-code="worker_lost"' in page and "A worker stopped 3 times" in page
    assert "the worker stopped without finishing 3 times" in page
    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"/segments/scoring/{result.run_id}/resume/", follow=True)
    assert "1 task queued again" in resumed.content.decode()
    assert ScoringRun.objects.get(pk=result.run_id).status == ScoringRun.Status.DONE



def test_the_nightly_run_says_the_schedule_started_it():
    population()
    result = score_customers_task(as_of=AS_OF.isoformat())
    run = ScoringRun.objects.get(pk=result["run_id"])
    assert (run.status, run.started_by) == (ScoringRun.Status.DONE, "schedule")

    html = staff_client(Role.ANALYST).get("/segments/scoring/").content.decode()

    assert "<td>nightly schedule</td>" in html
