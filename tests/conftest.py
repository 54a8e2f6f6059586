"""Shared fixtures: staff of every role, API keys, a browser, real services.

Tests run on the database that DANGOL_DATABASE_URL names (SQLite by default,
PostgreSQL in CI). Tasks run inline unless a test starts a real worker.
"""

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connections
from django.test import Client
from django.utils.crypto import get_random_string

from dangol.accounts.actors import Actor
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.config.celery import app as celery_app

celery_app.conf.task_always_eager = True


def _hash_each_password_once() -> None:
    """Hash a password with Django's PBKDF2 at its full cost once per test session.

    Staff in tests share a password, and one hash costs about 0.4 s: hundreds of tests
    creating staff spent minutes on it. In tests the salt is fixed (chosen at random per
    session) and each hash is kept: stored passwords are still real PBKDF2 hashes at the
    production iteration count, and a login still checks the typed password against them
    (a wrong one is hashed too, and refused).
    """
    encode = PBKDF2PasswordHasher.encode
    session_salt = get_random_string(22)
    hashes: dict[tuple[object, ...], str] = {}

    def hash_once(self: PBKDF2PasswordHasher, password: str, salt: str,
                  iterations: int | None = None) -> str:
        key = (type(self), password, salt, iterations or self.iterations)
        if key not in hashes:
            hashes[key] = encode(self, password, salt, iterations)
        return hashes[key]

    PBKDF2PasswordHasher.encode = hash_once  # type: ignore[method-assign]
    PBKDF2PasswordHasher.salt = lambda self: session_salt  # type: ignore[method-assign]


_hash_each_password_once()

CHROMIUM = os.environ.get("DANGOL_CHROMIUM", "/usr/bin/chromium")


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in {"", "0", "false"}


def pytest_sessionstart(session: pytest.Session) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if _required("DANGOL_REQUIRE_POSTGRES") and "postgresql" not in engine:
        raise pytest.UsageError("DANGOL_REQUIRE_POSTGRES is set but the database is " + engine)
    if "postgresql" in engine:
        _empty_tables_by_delete()


def _empty_tables_by_delete() -> None:
    """After a test that commits for real (``transaction=True``, the live server, a worker),
    PostgreSQL's tables are emptied with DELETE rather than Django's TRUNCATE.

    The tables then hold a handful of rows, and TRUNCATE of every table (new files for
    each table and index, synced at commit) costs about two seconds per test; DELETE
    leaves the same empty tables in milliseconds. Foreign keys are deferred to the
    commit, so the order of the tables does not matter. Sequences are not reset, as
    with TRUNCATE without RESTART IDENTITY; a reset still uses TRUNCATE.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self: DatabaseOperations, style: object, tables: list[str], *,
                  reset_sequences: bool = False, allow_cascade: bool = False) -> list[str]:
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences,
                            allow_cascade=allow_cascade)
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


def unavailable(reason: str, *, required_by: str) -> None:
    """Skip a test whose service is missing, or fail it where ``required_by`` is set (CI)."""
    if _required(required_by):
        pytest.fail(f"{reason} (required: {required_by} is set)")
    pytest.skip(reason)


def shared_data(*parts: str) -> Path:
    """A file of the shared data folder (published results, training data).

    It sits beside the repo (``../shared/data``) or where DANGOL_SHARED_DATA
    points. Without it the test is skipped, or fails where DANGOL_REQUIRE_DATA
    is set (CI): those results must be checked there.
    """
    base = Path(os.environ.get("DANGOL_SHARED_DATA")
                or Path(__file__).resolve().parents[1].parent / "shared" / "data")
    path = base.joinpath(*parts)
    if not path.exists():
        unavailable(f"missing test data {path}: put the shared folder beside the repo or set "
                    "DANGOL_SHARED_DATA", required_by="DANGOL_REQUIRE_DATA")
    return path


def is_postgres() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def make_staff(role: str, email: str | None = None) -> User:
    return User.objects.create_user(email or f"{role}@example.com", "a-long-password-1",
                                    name=role.title(), role=role)


@pytest.fixture
def owner(db: None) -> User:
    return make_staff(Role.OWNER)


@pytest.fixture
def owner_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def api_token(owner: User) -> str:
    issued = create_api_key(
        actor=Actor(user=owner), name="test",
        scopes=["customers.view", "customers.change", "customers.delete"],
    )
    return issued.token


@pytest.fixture
def api(api_token: str) -> Client:
    """A client that sends the API key with every request."""
    return Client(headers={"Authorization": f"Bearer {api_token}"})


@pytest.fixture
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        unavailable(f"browser tests need chromium at {CHROMIUM}",
                    required_by="DANGOL_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's guard
    # against database access from async code would otherwise refuse the
    # live server's test data set-up.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield instance
        # While Playwright's loop runs, Django keeps this thread's connection apart
        # from the one it uses outside the loop (test set-up and teardown): close it
        # here, or its session would stay open to the end of the run.
        connections.close_all()
        instance.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _celery_join_flag_reset() -> Iterator[None]:
    """Eager tasks mark "inside a task" in one process-wide flag and put back what they
    found; eager tasks run by several threads at once (concurrency tests, the live
    server) can leave it set, and every later ``.get()`` would then refuse to run."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


# A real SMTP server and a fake SMS provider for any test that sends messages.
from tests.fixtures_messaging import *  # noqa: E402, F403

# Real Celery worker processes (file_queue fixture, start_worker/stop_worker helpers).
from tests.fixtures_worker import *  # noqa: E402, F403
