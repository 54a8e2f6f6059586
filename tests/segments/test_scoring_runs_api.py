"""The scoring-runs API: list, get, start now, resume; permissions, errors and the audit log."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.segments.models import ScoringChunk, ScoringRun
from dangol.segments.services import score_customers
from tests.conftest import make_staff
from tests.segments.test_scoring import AS_OF, population
from tests.segments.test_scoring_runs import recent_population

pytestmark = pytest.mark.django_db

URL = "/api/segments/scoring-runs"


def staff_client(role: str) -> tuple[Client, object]:
    user = make_staff(role)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client, user


def test_an_analyst_lists_and_reads_runs_with_models_and_chunks(
        django_capture_on_commit_callbacks):
    population()
    with django_capture_on_commit_callbacks(execute=True):
        done = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    client, _user = staff_client(Role.ANALYST)

    listed = client.get(URL)

    assert listed.status_code == 200, listed.content
    [item] = listed.json()["items"]
    assert (item["id"], item["status"], item["chunks_done"], item["chunks_total"]) == (
        done.run_id, "done", 3, 3)
    assert item["customers_scored"] == 52 and item["duration_seconds"] >= 0
    assert set(item["purchase_model"]["params"]) == {"r", "alpha", "a", "b"}
    assert item["purchase_model"]["log_likelihood"] < 0
    assert item["spend_model"]["params"] and item["error_code"] == ""
    detail = client.get(f"{URL}/{done.run_id}").json()
    assert [c["status"] for c in detail["chunks"]] == ["done"] * 3
    assert sum(c["customers"] for c in detail["chunks"]) == 52
    assert client.get(f"{URL}/999").status_code == 404


def test_listing_runs_takes_the_same_queries_for_one_or_many(django_capture_on_commit_callbacks):
    population()
    client, _user = staff_client(Role.ANALYST)
    score_customers(as_of=AS_OF, split=False)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["items"]) == 1
    for _ in range(3):
        score_customers(as_of=AS_OF, split=False)
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(URL).json()["items"]) == 4
    assert len(four) == len(one)


def test_an_admin_starts_a_run_and_a_second_is_refused_with_a_clear_message(
        django_capture_on_commit_callbacks):
    recent_population()
    client, admin = staff_client(Role.ADMIN)

    with django_capture_on_commit_callbacks() as queued:
        started = client.post(URL)
    assert started.status_code == 202, started.content
    body = started.json()
    assert (body["status"], body["started_by"], body["chunks"]) == ("running", admin.email, [])
    again = client.post(URL)
    assert again.status_code == 409
    assert again.json()["code"] == "scoring_running"
    assert f"Scoring run {body['id']} is still running" in again.json()["message"]
    assert ScoringRun.objects.count() == 1
    assert AuditEntry.objects.filter(action="scoring.start", object_id=str(body["id"]),
                                     actor_user=admin).count() == 1

    for send in queued:
        send()
    finished = client.get(f"{URL}/{body['id']}").json()
    assert (finished["status"], finished["customers_scored"]) == ("done", 52)
    resumed = client.post(f"{URL}/{body['id']}/resume")
    assert (resumed.status_code, resumed.json()["code"]) == (409, "scoring_done")


def test_an_admin_resumes_a_failed_run(django_capture_on_commit_callbacks):
    population()
    with django_capture_on_commit_callbacks() as queued:
        result = score_customers(as_of=AS_OF, split=True, chunk_size=20)
    for send in queued[1:]:
        send()
    ScoringRun.objects.filter(pk=result.run_id).update(
        status=ScoringRun.Status.FAILED, error_code=ScoringRun.ErrorCode.CHUNK_ERROR,
        error="customers 1-20: OperationalError: disk I/O error")
    client, admin = staff_client(Role.ADMIN)
    failed = client.get(f"{URL}/{result.run_id}").json()
    assert failed["error_code"] == "chunk_error" and "resume the run" in failed["explanation"]

    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"{URL}/{result.run_id}/resume")

    assert resumed.status_code == 202, resumed.content
    assert resumed.json()["queued"] == 1
    run = ScoringRun.objects.get(pk=result.run_id)
    assert (run.status, run.error) == (ScoringRun.Status.DONE, "")
    assert not ScoringChunk.objects.filter(run=run).exclude(status="done").exists()
    assert AuditEntry.objects.filter(action="scoring.resume", actor_user=admin).exists()
    assert client.post(f"{URL}/999/resume").status_code == 404


@pytest.mark.parametrize("role", [Role.ANALYST, Role.MARKETER])
def test_roles_without_the_permission_cannot_start_or_resume(role):
    client, _user = staff_client(role)
    refused = client.post(URL)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert client.post(f"{URL}/1/resume").status_code == 403
    assert not ScoringRun.objects.exists()


def test_an_api_key_needs_the_run_scoring_scope(owner):
    viewer = create_api_key(actor=Actor(user=owner), name="view",
                            scopes=["segments.view"]).token
    client = Client(headers={"Authorization": f"Bearer {viewer}"})
    assert client.get(URL).status_code == 200
    assert client.post(URL).status_code == 403
    runner = create_api_key(actor=Actor(user=owner), name="run",
                            scopes=["segments.view", "segments.run_scoring"]).token
    client = Client(headers={"Authorization": f"Bearer {runner}"})
    started = client.post(URL)
    assert started.status_code == 202, started.content
    assert started.json()["started_by"].startswith("api:")
