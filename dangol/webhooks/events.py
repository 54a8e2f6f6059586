"""The event types that endpoints may subscribe to.

Each producing app registers its types (in its AppConfig.ready, or here for the
ones known from the start). ``publish`` accepts any well-formed type, so a
producer never fails because of this list; endpoints can subscribe only to
registered types or to ``*``.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ALL = "*"
TEST_EVENT = "webhook.test"
# Standard Webhooks: full-stop delimited identifiers of [a-zA-Z0-9_].
TYPE_PATTERN = re.compile(r"^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)+$")


@dataclass(frozen=True)
class EventType:
    code: str
    label: str | Promise


_registry: dict[str, EventType] = {}


def register_event_type(code: str, label: str | Promise) -> None:
    """Declare event type ``code`` (e.g. ``loyalty.points.awarded``) with a label for people."""
    if not TYPE_PATTERN.match(code):
        raise ValueError(f"event type {code!r} is not dot-separated [a-zA-Z0-9_] words")
    _registry[code] = EventType(code, label)


def is_known(code: str) -> bool:
    return code in _registry


def all_event_types() -> list[EventType]:
    return sorted(_registry.values(), key=lambda t: t.code)


def register_defaults() -> None:
    register_event_type("survey.response.completed", _("A survey response was completed"))
    register_event_type(TEST_EVENT, _("Test event sent from the endpoint page or API"))
