"""The customer-360 timeline: what happened with one customer, newest first.

Each app adds its own events by registering a provider in its AppConfig.ready
(surveys: answers; engagement: messages; loyalty: points...). A provider gets
the customer and a limit and returns at most that many entries, newest first;
the timeline merges them. Providers must not hide permissions: an entry is
shown only to staff holding its ``permission``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise

from dangol.customers.models import Customer


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # short machine name, e.g. "survey_response"
    title: str | Promise
    detail: str = ""
    url: str = ""
    permission: str = "customers.view"


Provider = Callable[[Customer, int], Iterable[TimelineEntry]]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def timeline_for(customer: Customer, *, user: object, limit: int = 50) -> list[TimelineEntry]:
    """The latest ``limit`` entries of every provider that ``user`` may see, newest first."""
    has_perm = getattr(user, "has_perm", lambda _code: False)
    streams = [list(provider(customer, limit)) for provider in _providers.values()]
    merged = heapq.merge(*streams, key=lambda e: e.at, reverse=True)
    return [e for e in merged if has_perm(e.permission)][:limit]
