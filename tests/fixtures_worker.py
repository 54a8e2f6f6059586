"""Real Celery worker processes for tests, on the embedded file queue (or another broker).

    def test_x(file_queue):
        worker = start_worker()
        ...
        wait_for(lambda: ..., worker)
        stop_worker(worker)
"""

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from dangol.config.celery import app as celery_app

__all__ = ["file_queue"]

_worker_numbers = itertools.count(1)


def database_url() -> str:
    """The test database as a DANGOL_DATABASE_URL a worker process can open."""
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}"
            f"/{db['NAME']}")


def reset_connections() -> None:
    # Celery caches its connection and producer pools for the broker it first
    # used; drop them so that the next send uses the broker now configured.
    kombu_pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_broker(url: str) -> dict[str, object]:
    """Send this process's tasks to ``url`` instead of running them inline; returns the old
    settings for ``restore_broker``."""
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    reset_connections()
    return saved


def restore_broker(saved: dict[str, object]) -> None:
    celery_app.conf.update(saved)
    reset_connections()


@pytest.fixture
def file_queue() -> Iterator[None]:
    """Tasks go to the embedded file queue (emptied first) instead of running inline."""
    saved = use_broker("filesystem://")
    for leftover in (settings.DATA_DIR / "queue" / "in").glob("*"):
        leftover.unlink()
    yield
    restore_broker(saved)


def start_worker(*, broker: str = "filesystem://", pool: str = "solo",
                 concurrency: int | None = None,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real worker process on the test database.

    Its database sessions carry an application name of their own (libpq reads
    PGAPPNAME), so that ``stop_worker`` waits for exactly those sessions.
    """
    application_name = f"dangol-test-worker-{os.getpid()}-{next(_worker_numbers)}"
    environment = os.environ | {"DANGOL_BROKER_URL": broker,
                                "DANGOL_DATABASE_URL": database_url(),
                                "DANGOL_DATA_DIR": str(settings.DATA_DIR),
                                "PGAPPNAME": application_name} | (env or {})
    command = [sys.executable, "-m", "celery", "-A", "dangol.config", "worker", "--pool", pool,
               "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip",
               "--without-mingle"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    process.application_name = application_name  # type: ignore[attr-defined]
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Stop a worker; on PostgreSQL also wait until its sessions have ended, since the test
    database can only be flushed and dropped once they are gone. Sessions of other clients
    (the live server's, say) are not waited for."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        deadline = time.monotonic() + 15
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                               "current_database() AND application_name = %s",
                               [process.application_name])  # type: ignore[attr-defined]
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen,
             timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not finish in time"
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else "worker died"
        time.sleep(0.2)
