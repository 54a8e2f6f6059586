"""Scoring in chunks shared by a real Celery worker with two processes (the embedded file queue)."""


import pytest

from dangol.segments.models import CustomerScore, ScoringRun
from dangol.segments.services import score_customers
from tests.fixtures_worker import start_worker, stop_worker, wait_for
from tests.segments.test_scoring import AS_OF, population


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
