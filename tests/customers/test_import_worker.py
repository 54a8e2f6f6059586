"""Imports run by a real Celery worker process: the embedded file queue and Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu import pools as kombu_pools

from dangol.accounts.actors import Actor
from dangol.config.celery import app as celery_app
from dangol.customers.models import Customer, ImportJob
from dangol.customers.services.imports import start_import
from tests.conftest import make_staff, port_open, unavailable

REDIS_URL = "redis://127.0.0.1:6379/15"


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}"
            f"/{db['NAME']}")


def _reset_connections() -> None:
    # Celery caches its connection and producer pools for the broker it first
    # used; drop them so that the next send uses the broker now configured.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(request):
    """Point this process's Celery app at the broker under test, and back afterwards."""
    url = request.param
    if url.startswith("redis") and not port_open("127.0.0.1", 6379):
        unavailable("Redis is not running on 127.0.0.1:6379", required_by="DANGOL_REQUIRE_SERVICES")
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    _reset_connections()
    if url.startswith("redis"):
        with celery_app.connection_for_write() as connection:
            connection.default_channel.client.flushdb()
    yield url
    celery_app.conf.update(saved)
    _reset_connections()


@pytest.fixture
def worker(broker):
    env = os.environ | {"DANGOL_BROKER_URL": broker, "DANGOL_DATABASE_URL": _database_url(),
                        "DANGOL_DATA_DIR": str(settings.DATA_DIR)}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


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
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in {ImportJob.Status.DONE, ImportJob.Status.FAILED}:
            break
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else "worker died"
        time.sleep(0.3)
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.created_count, job.rejected_count, job.rows_done) == (500, 1, 501)
    assert job.rejects == [{"row": 502, "column": "email",
                            "message": "not a valid e-mail address"}]
    assert Customer.objects.count() == 500
    assert Path(job.file_path).with_suffix(".rejects.csv").exists()
