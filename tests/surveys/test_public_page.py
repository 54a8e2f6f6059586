"""Answering a survey through the public pages, as a respondent's browser does (no JS)."""

import pytest
from django.test import Client

from dangol.surveys.models import Answer, Response


def _url(survey) -> str:
    return f"/s/{survey.public_slug}/"


def test_a_detractor_sees_the_follow_up_and_completes(nps_survey) -> None:
    client = Client()
    page = client.get(_url(nps_survey), HTTP_ACCEPT_LANGUAGE="ko")
    assert page.status_code == 200
    assert "저희 가게를 친구에게 추천하시겠어요?" in page.content.decode()
    assert Response.objects.count() == 0  # viewing stores nothing

    assert client.post(_url(nps_survey), {"screen": "0", "q-nps": "3"}).status_code == 302
    follow_up = client.get(_url(nps_survey)).content.decode()
    assert "무엇이 아쉬우셨나요?" in follow_up

    client.post(_url(nps_survey), {"screen": "1", "q-why_low": "배송이 느려요"})
    client.post(_url(nps_survey), {"screen": "2", "q-best": "other", "q-best-other": "친절"})
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED
    assert response.answers == {"nps": 3, "why_low": "배송이 느려요",
                                "best": {"choice": "other", "other": "친절"}}
    assert response.language == "ko"
    assert Answer.objects.get(question="nps").number == 3
    assert "감사합니다" in client.get(_url(nps_survey)).content.decode()


def test_a_promoter_skips_the_follow_up(nps_survey) -> None:
    client = Client()
    client.post(_url(nps_survey) + "?lang=en", {"screen": "0", "q-nps": "10"})
    page = client.get(_url(nps_survey)).content.decode()
    assert "What did you like most?" in page
    assert "What went wrong?" not in page


def test_an_out_of_range_answer_is_refused_next_to_the_question(nps_survey) -> None:
    client = Client()
    page = client.post(_url(nps_survey) + "?lang=en", {"screen": "0", "q-nps": "11"})
    assert page.status_code == 422
    assert 'aria-invalid="true"' in page.content.decode()
    assert Response.objects.get().answers == {}


def test_missing_required_answer_is_refused(nps_survey) -> None:
    page = Client().post(_url(nps_survey), {"screen": "0"})
    assert page.status_code == 422


def test_resuming_returns_to_the_unanswered_screen(nps_survey) -> None:
    client = Client()
    client.post(_url(nps_survey) + "?lang=en", {"screen": "0", "q-nps": "9"})
    again = client.get(_url(nps_survey)).content.decode()
    assert "What did you like most?" in again
    assert Response.objects.get().status == Response.Status.PARTIAL


@pytest.mark.parametrize("lang,text", [("ko", "추천"), ("en", "recommend")])
def test_the_language_switch_changes_the_wording(nps_survey, lang, text) -> None:
    assert text in Client().get(_url(nps_survey) + f"?lang={lang}").content.decode()


def test_autosave_keeps_valid_answers_without_moving_on(nps_survey) -> None:
    nps_survey.one_per_page = False
    nps_survey.save()
    client = Client()
    saved = client.post(_url(nps_survey), {"screen": "0", "q-nps": "8", "action": "autosave"})
    assert saved.status_code == 204
    response = Response.objects.get()
    assert response.answers == {"nps": 8} and response.status == Response.Status.PARTIAL
    client.post(_url(nps_survey), {"screen": "0", "q-nps": "99", "action": "autosave"})
    response.refresh_from_db()
    assert response.answers == {"nps": 8}  # an invalid value is not kept


def test_an_address_that_starts_too_many_responses_is_told_to_wait(nps_survey, settings) -> None:
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    statuses = [Client().post(_url(nps_survey), {"screen": "0", "q-nps": "5"}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Response.objects.count() == 2
    other = Client(REMOTE_ADDR="10.9.9.9").post(_url(nps_survey), {"screen": "0", "q-nps": "5"})
    assert other.status_code == 302
