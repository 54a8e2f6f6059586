"""Scoring on real Celery workers (the embedded file queue): chunks shared by two processes,
work a dead worker left reclaimed, a run started through the API."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.permissions import Role
from dangol.segments.models import CustomerScore, ScoringChunk, ScoringRun
from dangol.segments.services import reclaim_stalled_work, score_customers
from dangol.segments.services.scoring_runs import claim_chunk
from tests.conftest import make_staff
from tests.fixtures_worker import start_worker, stop_worker, wait_for
from tests.segments.test_scoring import AS_OF, population
from tests.segments.test_scoring_runs import recent_population


@pytest.fixture
def two_process_worker(file_queue):
    process = start_worker(pool="prefork", concurrency=2)
    yield process
    stop_worker(process)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_score_every_customer_in_chunks(two_process_worker):
    population()
    reference = score_customers(as_of=AS_OF, split=False)
    expected = dict(CustomerScore.objects.values_list("customer_id", "p_alive"))

    result = score_customers(as_of=AS_OF, split=True, chunk_size=6)

    assert result.status == ScoringRun.Status.RUNNING and result.chunks == 9
    run = ScoringRun.objects.get(pk=result.run_id)

    def finished() -> bool:
        run.refresh_from_db()
        return run.status != ScoringRun.Status.RUNNING

    wait_for(finished, two_process_worker, timeout=120)
    assert run.status == ScoringRun.Status.DONE, run.error
    assert run.chunk_set.filter(status="done").count() == 9
    assert CustomerScore.objects.filter(scored_at=run.scored_at).count() == 52
    assert dict(CustomerScore.objects.values_list("customer_id", "p_alive")) == expected
    assert reference.customers_scored == run.customers == 52


@pytest.fixture
def worker(file_queue):
    process = start_worker()
    yield process
    stop_worker(process)


def _finished(run: ScoringRun):
    def check() -> bool:
        run.refresh_from_db()
        return run.status != ScoringRun.Status.RUNNING
    return check


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_work_a_dead_worker_and_a_lost_queue_left_is_reclaimed_and_finished(file_queue,
                                                                            settings):
    population()
    score_customers(as_of=AS_OF, split=False)
    expected = dict(CustomerScore.objects.values_list("customer_id", "p_alive"))
    result = score_customers(as_of=AS_OF, split=True, chunk_size=10)
    run = ScoringRun.objects.get(pk=result.run_id)
    # The queue lost every message (a broker restarted without its data), and the worker
    # that had claimed the first chunk died.
    for message in (settings.DATA_DIR / "queue" / "in").glob("*"):
        message.unlink()
    first = run.chunk_set.order_by("first_pk").first()
    assert claim_chunk(run_id=run.pk, first_pk=first.first_pk, last_pk=first.last_pk)
    lease = timedelta(seconds=settings.SCORING_LEASE_SECONDS)
    past = timezone.now() - lease - timedelta(minutes=1)
    ScoringChunk.objects.filter(pk=first.pk).update(claimed_at=past)
    ScoringRun.objects.filter(pk=run.pk).update(heartbeat_at=past)

    assert reclaim_stalled_work().chunks_requeued == [first.pk]
    # The other chunks: no sign of work for another lease, so all are queued again.
    later = timezone.now() + lease + timedelta(seconds=1)
    assert reclaim_stalled_work(now=later).runs_requeued == [run.pk]
    process = start_worker()
    try:
        wait_for(_finished(run), process)
    finally:
        stop_worker(process)

    assert run.status == ScoringRun.Status.DONE, run.error
    assert run.requeues == 1 and run.chunk_set.filter(status="done").count() == 6
    first.refresh_from_db()
    assert first.attempts == 2
    assert dict(CustomerScore.objects.values_list("customer_id", "p_alive")) == expected


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scoring_started_through_the_api_runs_on_a_real_worker(worker):
    recent_population()
    admin = make_staff(Role.ADMIN)
    client = Client()
    client.force_login(admin)

    started = client.post("/api/segments/scoring-runs")

    assert started.status_code == 202, started.content
    run = ScoringRun.objects.get(pk=started.json()["id"])
    wait_for(_finished(run), worker)
    assert (run.status, run.customers, run.started_by) == (ScoringRun.Status.DONE, 52,
                                                           admin.email)
    assert CustomerScore.objects.filter(scored_at=run.scored_at).count() == 52
