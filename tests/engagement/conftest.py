from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dangol.customers.models import Consent
from tests.factories import CustomerFactory

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(hour: int, minute: int = 0) -> datetime:
    """A fixed moment on 2026-11-23 in Seoul, for tests of the night-time rule."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=SEOUL)


@pytest.fixture
def customer(db: None) -> Any:
    return CustomerFactory(name="김단골", email="kim@example.com", phone="+821012345678")


def grant(customer: Any, channel: str, *, night: bool = False,
          at: datetime | None = None) -> Consent:
    """Record an ad opt-in directly, as an import or a signup form would have."""
    from django.utils import timezone

    when = at or timezone.now()
    consent, _ = Consent.objects.update_or_create(
        customer=customer, channel=channel, purpose="ad",
        defaults={"granted_at": when, "withdrawn_at": None,
                  "night_granted_at": when if night else None, "source": "test"})
    return consent


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run after-commit callbacks (message delivery) when the block ends."""
    yield lambda: django_capture_on_commit_callbacks(execute=True)
