"""Service levels: how long a case of each priority may wait for its resolution.

``CASE_SLA_HOURS`` in the settings (a mapping of priority to hours) overrides
the defaults; it is read when a case is opened, not at import time.
"""

from datetime import datetime, timedelta

from django.conf import settings

from dangol.cases.models import Priority

DEFAULT_HOURS: dict[str, int] = {
    Priority.URGENT: 4,
    Priority.HIGH: 24,
    Priority.NORMAL: 48,
    Priority.LOW: 120,
}


def hours_for(priority: str) -> int:
    overrides = getattr(settings, "CASE_SLA_HOURS", None) or {}
    return int(overrides.get(priority, DEFAULT_HOURS[priority]))


def due_at(priority: str, opened_at: datetime) -> datetime:
    """When a case of ``priority`` opened at ``opened_at`` is due."""
    return opened_at + timedelta(hours=hours_for(priority))
