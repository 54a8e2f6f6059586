"""Imports run by a real Celery worker process: the embedded file queue and Redis."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangol.accounts.actors import Actor
from dangol.config.celery import app as celery_app
from dangol.customers.models import Customer, ImportJob
from dangol.customers.services.imports import start_import
from tests.conftest import make_staff, port_open, unavailable
from tests.fixtures_worker import (
    restore_broker,
    start_worker,
    stop_worker,
    use_broker,
    wait_for,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def broker(request):
    """Point this process's Celery app at the broker under test, and back afterwards."""
    url = request.param
    if url.startswith("redis") and not port_open("127.0.0.1", 6379):
        unavailable("Redis is not running on 127.0.0.1:6379", required_by="DANGOL_REQUIRE_SERVICES")
    saved = use_broker(url)
    if url.startswith("redis"):
        with celery_app.connection_for_write() as connection:
            connection.default_channel.client.flushdb()
    yield url
    restore_broker(saved)


@pytest.fixture
def worker(broker):
    process = start_worker(broker=broker)
    yield process
    stop_worker(process)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["filesystem://", REDIS_URL], indirect=True,
                         ids=["embedded", "redis"])
def test_worker_runs_an_uploaded_import(broker, worker, tmp_path):
    staff = make_staff("marketer")
    body = "external_id,name,email\n" + "".join(f"C{i},고객{i},c{i}@example.com\n"
                                                  for i in range(500)) + "C9999,x,not-mail\n"
    job = start_import(actor=Actor(user=staff), kind="customers",
                       upload=SimpleUploadedFile("c.csv", body.encode()))

    def finished() -> bool:
        job.refresh_from_db()
        return job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}

    wait_for(finished, worker)
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.created_count, job.rejected_count, job.rows_done) == (500, 1, 501)
    assert job.rejects == [{"row": 502, "column": "email",
                            "message": "not a valid e-mail address"}]
    assert Customer.objects.count() == 500
    assert Path(job.file_path).with_suffix(".rejects.csv").exists()
