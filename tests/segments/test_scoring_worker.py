"""Scoring in chunks shared by a real Celery worker with two processes (the embedded file queue)."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from dangol.config.celery import app as celery_app
from dangol.segments.models import CustomerScore, ScoringRun
from dangol.segments.services import score_customers
from tests.conftest import is_postgres
from tests.customers.test_import_worker import _database_url, _reset_connections
from tests.segments.test_scoring import AS_OF, population


@pytest.fixture
def file_queue():
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url="filesystem://", task_always_eager=False)
    _reset_connections()
    yield
    celery_app.conf.update(saved)
    _reset_connections()


@pytest.fixture
def two_process_worker(file_queue):
    env = os.environ | {"DANGOL_BROKER_URL": "filesystem://",
                        "DANGOL_DATABASE_URL": _database_url(),
                        "DANGOL_DATA_DIR": str(settings.DATA_DIR)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", "prefork",
         "--concurrency", "2", "--loglevel", "WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    if is_postgres():
        # The server ends the pool processes' sessions a moment after they exit;
        # the test database can only be dropped once they are gone.
        deadline = time.monotonic() + 15
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND pid <> pg_backend_pid()")
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.2)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_score_every_customer_in_chunks(two_process_worker):
    population()
    reference = score_customers(as_of=AS_OF, split=False)
    expected = dict(CustomerScore.objects.values_list("customer_id", "p_alive"))

    result = score_customers(as_of=AS_OF, split=True, chunk_size=6)

    assert result.status == ScoringRun.Status.RUNNING and result.chunks == 9
    deadline = time.monotonic() + 120
    run = ScoringRun.objects.get(pk=result.run_id)
    while run.status == ScoringRun.Status.RUNNING and time.monotonic() < deadline:
        assert two_process_worker.poll() is None, (
            two_process_worker.stdout.read() if two_process_worker.stdout else "worker died")
        time.sleep(0.3)
        run.refresh_from_db()
    assert run.status == ScoringRun.Status.DONE, run.error
    assert run.chunk_set.filter(status="done").count() == 9
    assert CustomerScore.objects.filter(scored_at=run.scored_at).count() == 52
    assert dict(CustomerScore.objects.values_list("customer_id", "p_alive")) == expected
    assert reference.customers_scored == run.customers == 52
