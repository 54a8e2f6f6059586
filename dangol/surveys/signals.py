"""Signals other apps listen to.

``response_completed`` is sent inside the transaction that completes a survey
response, with ``response_pk``, ``survey_pk`` and ``customer_pk`` (None for an
anonymous response). A receiver may return a ``Reward`` (for example points
the loyalty program awarded); the thank-you page shows every reward returned.
"""

from dataclasses import dataclass

from django.dispatch import Signal
from django.utils.functional import Promise

response_completed = Signal()


@dataclass(frozen=True)
class Reward:
    label: str | Promise  # shown to the respondent, already in their language
    points: int = 0
