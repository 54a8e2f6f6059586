"""The key-drivers page and endpoint, with responses built so that speed drives the NPS."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.feedback.services import analyse_pending_answers
from dangol.surveys.models import Survey
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _text(ko, en):
    return {"ko": ko, "en": en}


DEFINITION = {"questions": [
    {"key": "nps", "type": "nps", "text": _text("추천하시겠어요?", "Would you recommend us?")},
    {"key": "service", "type": "matrix", "scale_max": 5, "required": False,
     "text": _text("서비스를 평가해 주세요", "Rate our service"),
     "rows": [{"key": "speed", "label": _text("속도", "Speed")},
              {"key": "kindness", "label": _text("친절", "Kindness")}]},
    {"key": "price", "type": "rating", "required": False,
     "text": _text("가격은 어떠셨나요?", "How was the price?")},
    {"key": "store", "type": "csat", "required": False,
     "text": _text("매장은 만족스러우셨나요?", "Happy with the store?")},
    {"key": "reason", "type": "text", "required": False,
     "text": _text("이유를 알려 주세요", "Tell us why")},
]}


def _answers(i: int) -> dict:
    """Response i: speed cycles 1..5 and sets the NPS (2 × speed − 1, ±1); kindness and
    price vary on their own, higher (3..5); every tenth response skips the price; the
    store is always 4. Slow service (speed 1-2) comes with a complaint about slow delivery."""
    speed = 1 + i % 5
    kindness = 3 + (i // 5) % 3
    noise = (i * 7) % 3 - 1
    answers = {"nps": min(max(2 * speed - 1 + noise, 0), 10),
               "service": {"speed": speed, "kindness": kindness}, "store": 4}
    if i % 10:
        answers["price"] = 3 + (i * 3 // 7) % 3
    if speed <= 2:
        answers["reason"] = "배송이 너무 늦어요"
    return answers


def _survey(owner, n: int, definition=DEFINITION) -> Survey:
    survey = create_survey(actor=Actor(user=owner), name="Drivers",
                           title=_text("매장 조사", "Store survey"), definition=definition,
                           publish=True)
    for i in range(n):
        submit_response(survey=survey, answers=_answers(i), language="ko")
    analyse_pending_answers()
    return survey


@pytest.fixture
def speed_survey(owner) -> Survey:
    return _survey(owner, 60)


def page(client, url, language="en"):
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def _table(html, testid):
    return html.split(f'data-testid="{testid}"')[1].split("</table>")[0]


def test_speed_comes_first_and_is_the_thing_to_fix(owner_client, speed_survey):
    html = page(owner_client, f"/surveys/{speed_survey.pk}/drivers/")
    table = _table(html, "attribute-drivers")
    order = [part.split('"')[0] for part in table.split('data-attribute="')[1:]]
    assert order[0] == "service.speed"
    assert set(order) == {"service.speed", "service.kindness", "price"}
    speed_row = table.split('data-attribute="service.speed"')[1].split("</tr>")[0]
    # Speed averages 3 of 5, below the other ratings: important and rated low.
    assert 'data-quadrant="fix_first"' in speed_row and "Fix first" in speed_row
    assert "Speed" in speed_row and "kd-whisker" in speed_row
    # The store rating is 4 in every response: it cannot explain anything.
    assert "Left out because every response gave the same answer:" in html
    assert "Happy with the store?" in html.split('data-testid="left-out"')[1]
    # Every tenth response skipped the price: 54 of 60 answered every rating.
    assert "from 54 responses that answered every rating" in html
    assert "from 60 completed responses" in html


def test_delivery_complaints_cost_nps_points(owner_client, speed_survey):
    html = page(owner_client, f"/surveys/{speed_survey.pk}/drivers/")
    table = _table(html, "theme-drivers")
    row = table.split('data-theme="delivery"')[1].split("</tr>")[0]
    # 24 responses (speed 1-2) complain; all of them are detractors (scores 0-4).
    assert "24 (40%)" in row
    assert "-100.0" in row
    assert f"/surveys/{speed_survey.pk}/responses/?theme=delivery&amp;sentiment=negative" in row


def test_the_results_page_links_to_the_drivers_with_its_filters(owner_client, speed_survey):
    html = page(owner_client, f"/surveys/{speed_survey.pk}/results/?language=ko")
    assert f'href="/surveys/{speed_survey.pk}/drivers/?language=ko"' in html
    html = page(owner_client, f"/surveys/{speed_survey.pk}/drivers/?language=en")
    # No English answers: nothing to analyse, and the page says why.
    assert 'data-code="too_few_responses"' in html
    assert "The filters chosen on the results page apply here too." in html


def test_korean_page_uses_the_korean_question_wording(owner_client, speed_survey):
    html = page(owner_client, f"/surveys/{speed_survey.pk}/drivers/", language="ko")
    assert "서비스를 평가해 주세요 — 속도" in html and 'lang="ko"' in html
    assert "Rate our service" not in html


def test_too_few_responses_are_named_instead_of_numbers(owner):
    survey = _survey(owner, 12)
    client = Client()
    client.force_login(owner)
    html = page(client, f"/surveys/{survey.pk}/drivers/")
    problem = html.split('data-testid="attribute-problem"')[1].split("</p>")[0]
    assert 'data-code="too_few_responses"' in problem
    assert "at least 30 responses" in problem and "there are 10 so far" in problem
    assert 'data-testid="attribute-drivers"' not in html


def test_a_survey_without_a_score_question_says_so(owner):
    survey = create_survey(actor=Actor(user=owner), name="Text only",
                           title=_text("의견", "Comments"), publish=True,
                           definition={"questions": [DEFINITION["questions"][-1]]})
    client = Client()
    client.force_login(owner)
    assert 'data-testid="no-outcome"' in page(client, f"/surveys/{survey.pk}/drivers/")


def test_a_csat_survey_is_explained_by_its_ratings(owner):
    definition = {"questions": [
        {"key": "csat", "type": "csat", "text": _text("만족하셨나요?", "Happy?")},
        {"key": "speed", "type": "rating", "text": _text("속도", "Speed")},
        {"key": "taste", "type": "rating", "text": _text("맛", "Taste")},
        DEFINITION["questions"][-1]]}
    survey = create_survey(actor=Actor(user=owner), name="CSAT", kind="csat",
                           title=_text("만족도", "Satisfaction"), definition=definition,
                           publish=True)
    for i in range(40):
        taste = 1 + i % 5
        speed = 1 + (i // 5) % 5
        answers = {"csat": taste, "speed": speed, "taste": taste}
        if taste <= 2:
            answers["reason"] = "배송이 너무 늦어요"
        submit_response(survey=survey, answers=answers)
    analyse_pending_answers()
    client = Client()
    client.force_login(owner)
    html = page(client, f"/surveys/{survey.pk}/drivers/")
    assert "What moves the CSAT" in html
    order = [p.split('"')[0] for p in _table(html, "attribute-drivers")
             .split('data-attribute="')[1:]]
    assert order == ["taste", "speed"]
    # 16 of 40 complain (taste 1-2, mean 1.5); the rest average 4: the mean would gain 1.0.
    row = _table(html, "theme-drivers").split('data-theme="delivery"')[1].split("</tr>")[0]
    assert "Impact on the mean" in html and "16 (40%)" in row
    assert '<td class="r">1.0</td>' in row and '<td class="r">1.5</td>' in row


def test_the_page_needs_a_login_and_the_view_permission(speed_survey):
    assert Client().get(f"/surveys/{speed_survey.pk}/drivers/").status_code == 302
    client = Client()
    client.force_login(make_staff(Role.AGENT))
    assert client.get(f"/surveys/{speed_survey.pk}/drivers/").status_code == 200
    assert client.get("/surveys/999999/drivers/").status_code == 404


def test_page_queries_do_not_grow_with_responses(owner_client, owner):
    survey = _survey(owner, 35)
    url = f"/surveys/{survey.pk}/drivers/"
    page(owner_client, url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        page(owner_client, url)
    for i in range(35, 70):
        submit_response(survey=survey, answers=_answers(i), language="ko")
    analyse_pending_answers()
    with CaptureQueriesContext(connection) as more:
        page(owner_client, url)
    assert len(more.captured_queries) == len(few.captured_queries)


# The endpoint ------------------------------------------------------------------


@pytest.fixture
def view_api(owner):
    issued = create_api_key(actor=Actor(user=owner), name="drivers", scopes=["surveys.view"])
    return Client(headers={"Authorization": f"Bearer {issued.token}"})


def test_api_returns_the_same_drivers_as_json(view_api, speed_survey):
    response = view_api.get(f"/api/surveys/{speed_survey.pk}/drivers?text_language=en")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == {"key": "nps", "type": "nps", "text": "Would you recommend us?"}
    assert body["responses"] == 60
    attributes = body["attributes"]
    assert attributes["n"] == 54 and attributes["problem"] is None
    assert attributes["left_out"] == ["store"]
    items = attributes["items"]
    first = items[0]
    assert first["key"] == "service.speed"
    assert first["question"] == "service" and first["row"] == "speed"
    assert first["quadrant"] == "fix_first" and first["scale"] == [1, 5]
    assert first["interval"]["low"] < first["weight"] < first["interval"]["high"]
    assert first["share_interval"]["low"] < first["share"] <= first["share_interval"]["high"] <= 1
    assert sum(i["weight"] for i in items) == pytest.approx(attributes["r_squared"])
    assert sum(i["share"] for i in items) == pytest.approx(1.0)
    delivery = next(t for t in body["themes"]["items"] if t["theme"] == "delivery")
    assert delivery["mentions"] == 24 and delivery["score"] == -100.0
    assert delivery["impact"] == pytest.approx(0.4 * delivery["gap"])
    assert delivery["impact_interval"]["low"] < delivery["impact"]


def test_api_says_why_weights_are_missing(view_api, owner):
    survey = _survey(owner, 8)
    body = view_api.get(f"/api/surveys/{survey.pk}/drivers").json()
    assert body["attributes"]["problem"] == "too_few_responses"
    assert body["attributes"]["needed"] == 30 and body["attributes"]["items"] == []
    assert "30" in body["attributes"]["problem_message"]


def test_api_refuses_without_the_scope_and_names_a_missing_survey(owner, view_api, speed_survey):
    issued = create_api_key(actor=Actor(user=owner), name="other", scopes=["customers.view"])
    other = Client(headers={"Authorization": f"Bearer {issued.token}"})
    assert other.get(f"/api/surveys/{speed_survey.pk}/drivers").status_code == 403
    missing = view_api.get("/api/surveys/999999/drivers")
    assert missing.status_code == 404 and missing.json()["code"]
