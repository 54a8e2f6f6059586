"""A one-screen survey answered by one POST: the response is written completed at once,
with everything a completion promises (answer rows, the count, the webhook event, the
receivers' rewards, the text analysis), the duplicate guard and the per-address limit."""

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.core.errors import DomainError
from dangol.surveys import signals
from dangol.surveys.models import AddressCount, Answer, Response, Survey
from dangol.surveys.services import oneshot, ratelimit
from dangol.surveys.services.responses import definition_of, submit_response
from dangol.surveys.services.surveys import create_survey
from dangol.webhooks.models import Event

ONE_SCREEN = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "추천하시겠어요?", "en": "Would you recommend us?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "이유를 알려 주세요.", "en": "Tell us why."}},
    {"key": "best", "type": "single", "allow_other": True, "required": False,
     "text": {"ko": "가장 좋았던 점은?", "en": "What did you like most?"},
     "choices": [{"key": "price", "label": {"ko": "가격", "en": "Price"}},
                 {"key": "quality", "label": {"ko": "품질", "en": "Quality"}}]},
    {"key": "liked", "type": "multiple", "required": False,
     "text": {"ko": "좋았던 것 모두", "en": "Everything you liked"},
     "choices": [{"key": "staff", "label": {"ko": "직원", "en": "Staff"}},
                 {"key": "menu", "label": {"ko": "메뉴", "en": "Menu"}}]},
    {"key": "rate", "type": "matrix", "required": False,
     "text": {"ko": "평가해 주세요", "en": "Rate"},
     "rows": [{"key": "taste", "label": {"ko": "맛", "en": "Taste"}},
              {"key": "speed", "label": {"ko": "속도", "en": "Speed"}}]},
]}
FORM = {"screen": "0", "q-nps": "3", "q-comment": "  배송이 너무 늦어요  ", "q-best": "other",
        "q-best-other": "친절", "q-liked": ["staff", "menu"], "q-rate-taste": "4"}
ANSWERS = {"nps": 3, "comment": "배송이 너무 늦어요",
           "best": {"choice": "other", "other": "친절"},
           "liked": {"choices": ["staff", "menu"]}, "rate": {"taste": 4}}


@pytest.fixture
def survey(owner) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Visit", definition=ONE_SCREEN,
                         title={"ko": "방문 조사", "en": "Visit survey"}, publish=True,
                         one_per_page=False)


def _url(survey: Survey) -> str:
    return f"/s/{survey.public_slug}/"


def _rows(response: Response) -> set[tuple]:
    return set(Answer.objects.filter(response=response).values_list(
        "question", "row", "number", "choice", "text"))


def test_one_post_writes_the_response_completed_with_everything_a_completion_does(
        survey, django_capture_on_commit_callbacks) -> None:
    from dangol.feedback.models import TextAnalysis

    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(_url(survey) + "?lang=en", FORM)
    assert posted.status_code == 302
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED and response.completed_at
    assert response.answers == ANSWERS
    assert (response.language, response.channel, response.screen) == ("en", "link", 0)
    assert response.answers_hash and response.client_hash and response.address_hash
    assert response.version_id == survey.current_version_id and response.invitation_id is None
    assert _rows(response) == {
        ("nps", "", 3, "", ""), ("comment", "", None, "", ANSWERS["comment"]),
        ("best", "", None, "other", "친절"), ("liked", "", None, "staff", ""),
        ("liked", "", None, "menu", ""), ("rate", "taste", 4, "", "")}
    survey.refresh_from_db()
    assert survey.completed_count == 1
    event = Event.objects.get(type="survey.response.completed")
    assert event.payload["response_id"] == response.pk
    assert event.payload["answers"] == ANSWERS and event.payload["version"] == 1
    # The comment and the "other" text are analysed (queued once the response committed).
    assert list(TextAnalysis.objects.values_list("response_id", flat=True)) == [response.pk] * 2

    thanks = client.get(_url(survey))
    assert thanks.status_code == 200 and b'name="q-nps"' not in thanks.content
    again = client.post(_url(survey), FORM)
    assert again.status_code == 409
    assert Response.objects.count() == 1


def test_the_rows_match_those_of_the_general_path(survey) -> None:
    Client().post(_url(survey), FORM)
    by_page = Response.objects.get()
    by_api, _created = submit_response(survey=survey, answers=ANSWERS, language="ko")
    assert by_page.answers == by_api.answers
    assert by_page.answers_hash == by_api.answers_hash
    assert _rows(by_page) == _rows(by_api)


def test_a_screen_that_does_not_finish_the_survey_keeps_a_partial_response(nps_survey) -> None:
    assert Client().post(f"/s/{nps_survey.public_slug}/",
                         {"screen": "0", "q-nps": "9"}).status_code == 302
    assert Response.objects.get().status == Response.Status.PARTIAL
    assert Event.objects.count() == 0


def test_the_same_answers_from_the_same_browser_are_refused_and_nothing_is_kept(survey) -> None:
    assert Client().post(_url(survey), FORM).status_code == 302
    refused = Client().post(_url(survey), FORM)  # no cookie: a new respondent to the page
    assert refused.status_code == 409
    assert Response.objects.count() == 1
    assert AddressCount.objects.get().started == 1
    survey.refresh_from_db()
    assert survey.completed_count == 1
    other_answers = Client().post(_url(survey), {**FORM, "q-nps": "8"})
    assert other_answers.status_code == 302


def test_the_limit_per_address_counts_both_paths_and_only_the_last_hour(survey, settings) -> None:
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 3
    # A refused answer starts a partial response on the general path: it counts.
    assert Client().post(_url(survey), {**FORM, "q-nps": "11"}).status_code == 422
    statuses = [Client().post(_url(survey), {**FORM, "q-nps": str(n)}).status_code
                for n in (1, 2, 3)]
    assert statuses == [302, 302, 429]
    assert Response.objects.filter(status=Response.Status.COMPLETED).count() == 2
    assert Client(REMOTE_ADDR="10.9.9.9").post(_url(survey), FORM).status_code == 302

    # Counts from before the window are not read, and are deleted as a new minute begins.
    AddressCount.objects.all().delete()
    old = ratelimit.minute_of(timezone.now()) - ratelimit.WINDOW_MINUTES - 1
    address = Response.objects.first().address_hash
    AddressCount.objects.create(survey=survey, address_hash=address, minute=old, started=50)
    assert Client().post(_url(survey), {**FORM, "q-nps": "4"}).status_code == 302
    assert not AddressCount.objects.filter(minute=old).exists()


def test_a_survey_closed_or_full_since_the_page_was_read_takes_nothing(survey) -> None:
    read = oneshot.find_survey_to_answer(survey.public_slug)
    version = read.current_version
    definition = definition_of(version)
    arguments = {"survey": read, "version": version, "definition": definition,
                 "answers": {"nps": 5}, "language": "ko", "channel": "link",
                 "client_hash": "c", "address_hash": "a", "rate_limit": 10}
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    with pytest.raises(DomainError) as closed:
        oneshot.complete_anonymous(**arguments)
    assert closed.value.code == "survey_closed"
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.LIVE, quota=1,
                                                completed_count=1)
    with pytest.raises(DomainError):
        oneshot.complete_anonymous(**arguments)
    assert Response.objects.count() == 0 and Answer.objects.count() == 0
    assert Event.objects.count() == 0 and AddressCount.objects.count() == 0
    Survey.objects.filter(pk=survey.pk).update(quota=2)
    done = oneshot.complete_anonymous(**arguments)
    assert Response.objects.get().pk == done.response_pk


def test_rewards_returned_by_receivers_are_kept_and_shown(survey) -> None:
    seen = []

    def reward(sender, response_pk, survey_pk, customer_pk, **kwargs):
        # The response and its answer rows exist when the signal is sent.
        seen.append((Response.objects.get(pk=response_pk).answers["nps"],
                     Answer.objects.filter(response_id=response_pk).count(), customer_pk))
        return signals.Reward(label="쿠폰 한 장", points=0)

    signals.response_completed.connect(reward, dispatch_uid="test-one-screen-reward")
    try:
        client = Client()
        client.post(_url(survey), {"screen": "0", "q-nps": "7"})
    finally:
        signals.response_completed.disconnect(dispatch_uid="test-one-screen-reward")
    assert seen == [(7, 1, None)]
    assert Response.objects.get().rewards == [{"label": "쿠폰 한 장", "points": 0}]
    assert "쿠폰 한 장" in client.get(_url(survey)).content.decode()
