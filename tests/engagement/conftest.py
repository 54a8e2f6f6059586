from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from dangol.customers.models import Consent
from tests.factories import CustomerFactory


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
