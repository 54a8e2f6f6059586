"""Completed responses leave as signed webhooks, and none is lost while the receiver is down."""

from datetime import timedelta

import pytest
from django.test import Client

from dangol.accounts.actors import SYSTEM
from dangol.surveys.services.responses import submit_response
from dangol.webhooks.services import create_endpoint
from tests.webhooks.receiver import webhook_receiver  # noqa: F401
from tests.webhooks.test_delivery import sweep


@pytest.mark.django_db(transaction=True)
def test_responses_from_the_page_and_the_api_reach_a_receiver_that_was_down(
        nps_survey, webhook_receiver) -> None:  # noqa: F811
    endpoint = create_endpoint(actor=SYSTEM, url=webhook_receiver.url,
                               event_types=["survey.response.completed"], description="crm")
    webhook_receiver.stop()

    page = Client()
    slug = nps_survey.public_slug
    page.post(f"/s/{slug}/?lang=en", {"screen": "0", "q-nps": "9"})
    page.post(f"/s/{slug}/", {"screen": "2", "q-best": "quality"})
    submit_response(survey=nps_survey, answers={"nps": 2, "best": "price"}, language="ko")
    assert webhook_receiver.received == []

    webhook_receiver.start()
    sweep(after=timedelta(minutes=5))
    bodies = webhook_receiver.verified(endpoint.secret)
    assert sorted(b["data"]["answers"]["nps"] for b in bodies) == [2, 9]
    assert {b["type"] for b in bodies} == {"survey.response.completed"}
    assert {b["data"]["channel"] for b in bodies} == {"link", "api"}
    sweep(after=timedelta(days=4))
    assert len(webhook_receiver.received) == 2


def test_a_completed_comment_is_analysed_in_the_worker(
        nps_survey, django_capture_on_commit_callbacks) -> None:
    from dangol.feedback.models import TextAnalysis, ThemeMention

    with django_capture_on_commit_callbacks(execute=True):
        submit_response(survey=nps_survey, language="ko", answers={
            "nps": 4, "why_low": "배송이 너무 늦어요 그래도 품질은 좋아요", "best": "quality"})
    analysis = TextAnalysis.objects.get()
    assert analysis.response.answers["nps"] == 4
    themes = dict(ThemeMention.objects.values_list("theme", "sentiment"))
    assert themes.get("delivery") == "negative"
