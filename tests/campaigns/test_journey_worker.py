"""A real Celery worker runs the journeys' periodic job and the detractor trigger."""

import subprocess
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.campaigns.journey_models import JourneyEntry
from dangol.campaigns.tasks import run_journeys_task
from dangol.engagement.models import Message
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.campaigns.test_journey_helpers import customer, journey
from tests.campaigns.test_journeys import NPS_SURVEY
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(smtp_server, ad_sender) -> Iterator[subprocess.Popen]:
    env = {"DANGOL_EMAIL_HOST": smtp_server.host, "DANGOL_EMAIL_PORT": str(smtp_server.port),
           "DANGOL_DEFAULT_FROM_EMAIL": "Dangol Shop <shop@dangol.test>"}
    env |= {f"DANGOL_{name.removeprefix('DANGOL_')}": value
            for name, value in ad_sender.items()}
    process = start_worker(env=env)
    yield process
    stop_worker(process)


def test_the_periodic_job_twice_and_a_detractor_on_a_real_worker(file_queue, smtp_server,
                                                                 worker):
    in_three_days = timezone.localdate() + timedelta(days=3)
    people = [customer(birthday=date(1990, in_three_days.month, in_three_days.day))
              for _ in range(3)]
    birthday = journey(days=3)
    run_journeys_task.delay()
    run_journeys_task.delay()
    wait_for(lambda: len(smtp_server.messages) >= 3, worker)
    wait_for(lambda: not Message.objects.filter(status="queued").exists(), worker)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(p.email for p in people)
    assert JourneyEntry.objects.filter(journey=birthday).count() == 3

    survey = create_survey(actor=SYSTEM, name="NPS", title={"ko": "추천", "en": "NPS"},
                           definition=NPS_SURVEY, publish=True)
    apology = journey(name="사과", trigger="detractor", purpose="information",
                      subject_ko="죄송합니다", body_ko="불편을 드려 죄송합니다.")
    unhappy = customer()
    submit_response(survey=survey, answers={"nps": 2}, customer_pk=unhappy.pk)
    wait_for(lambda: any(m["To"] == unhappy.email for m in smtp_server.messages), worker)
    assert JourneyEntry.objects.get(journey=apology).customer == unhappy
    assert Message.objects.filter(source=f"journey:{birthday.pk}").count() == 3
