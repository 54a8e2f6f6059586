"""Several workers scanning one journey at once enter and message each customer once.

Threads each use their own database connection and commit for real; the journey's
row is locked for each chunk, so the scans take turns chunk by chunk.
"""

from datetime import date

import pytest

from dangol.campaigns.journey_models import JourneyEntry
from dangol.campaigns.journey_triggers import enter_detractor, scan_journey
from dangol.engagement.models import Message
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.campaigns.test_journey_helpers import customer, journey, seoul
from tests.campaigns.test_journeys import NPS_SURVEY
from tests.fixtures_threads import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_scans_enter_each_customer_once(ad_sender, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    people = [customer(birthday=date(1990, 11, 27)) for _ in range(30)]
    j = journey(days=3, holdout_percent=20)

    results = run_threads(4, lambda _i: scan_journey(journey_id=j.pk, chunk_size=7).entered)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 30  # type: ignore[arg-type]
    assert JourneyEntry.objects.filter(journey=j).count() == 30
    assert set(JourneyEntry.objects.values_list("customer_id", flat=True)) == {
        p.pk for p in people}
    messaged = JourneyEntry.objects.filter(journey=j, outcome="messaged").count()
    assert Message.objects.filter(source=f"journey:{j.pk}").count() == messaged


def test_a_completion_handled_by_several_workers_apologises_once(ad_sender, time_machine):
    from dangol.accounts.actors import SYSTEM

    time_machine.move_to(seoul(2026, 11, 24, 14, 0), tick=False)
    survey = create_survey(actor=SYSTEM, name="NPS", title={"ko": "추천", "en": "NPS"},
                           definition=NPS_SURVEY, publish=True)
    unhappy = customer()
    response, _ = submit_response(survey=survey, answers={"nps": 1}, customer_pk=unhappy.pk)
    journey(name="사과", trigger="detractor", purpose="information",
            subject_ko="죄송합니다", body_ko="불편을 드려 죄송합니다.")

    results = run_threads(4, lambda _i: enter_detractor(response_pk=response.pk).entered)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 1  # type: ignore[arg-type]
    assert JourneyEntry.objects.count() == 1
    assert Message.objects.filter(customer=unhappy).count() == 1
