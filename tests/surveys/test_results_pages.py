"""The results, responses and response pages, with real responses in both languages."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.feedback.services import analyse_pending_answers
from dangol.surveys.models import Response, Survey
from dangol.surveys.services.responses import submit_response
from dangol.surveys.services.surveys import create_survey, publish_survey, save_draft
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _text(ko, en):
    return {"ko": ko, "en": en}


V1 = {"questions": [
    {"key": "nps", "type": "nps", "text": _text("추천하시겠어요?", "Would you recommend us?")},
    {"key": "reason", "type": "text", "required": False,
     "text": _text("이유를 알려 주세요", "Tell us why")},
    {"key": "best", "type": "single", "allow_other": True, "required": False,
     "text": _text("가장 좋았던 점은?", "What did you like most?"),
     "choices": [{"key": "price", "label": _text("가격", "Price")},
                 {"key": "quality", "label": _text("품질", "Quality")}]},
    {"key": "legacy", "type": "csat", "required": False,
     "text": _text("예전 질문", "An old question")},
]}
V2 = {"questions": [
    V1["questions"][0],
    {"key": "service", "type": "matrix", "required": False, "scale_max": 5,
     "text": _text("서비스를 평가해 주세요", "Rate our service"),
     "rows": [{"key": "speed", "label": _text("속도", "Speed")},
              {"key": "kindness", "label": _text("친절", "Kindness")}]},
    {"key": "channels", "type": "multiple", "allow_other": True, "required": False,
     "text": _text("어디서 알게 되셨나요?", "Where did you hear of us?"),
     "choices": [{"key": "friend", "label": _text("지인", "A friend")},
                 {"key": "ad", "label": _text("광고", "An ad")},
                 {"key": "search", "label": _text("검색", "Search")}]},
    *V1["questions"][1:3],
]}


def at(year, month, day=10):
    return timezone.make_aware(datetime(year, month, day, 12))


def answer(survey, answers, *, language="ko", completed=None, **kwargs):
    response, _ = submit_response(survey=survey, answers=answers, language=language, **kwargs)
    if completed is not None:
        Response.objects.filter(pk=response.pk).update(completed_at=completed)
    return response


@pytest.fixture
def two_version_survey(owner) -> Survey:
    """v1: three responses in January; v2: four in February, with a matrix and comments."""
    actor = Actor(user=owner)
    survey = create_survey(actor=actor, name="Store NPS", title=_text("매장 조사", "Store survey"),
                           definition=V1, publish=True)
    answer(survey, {"nps": 10, "best": {"choice": "quality"}, "legacy": 5},
           completed=at(2026, 1))
    answer(survey, {"nps": 3, "reason": "배송이 너무 늦어요 그래도 품질은 좋아요",
                    "best": {"choice": "other", "other": "주차"}}, completed=at(2026, 1))
    answer(survey, {"nps": 8, "legacy": 4}, language="en", completed=at(2026, 1, 20))
    save_draft(actor=actor, survey=survey, definition=V2)
    publish_survey(actor=actor, survey=survey)
    customer = CustomerFactory(name="김단골")
    answer(survey, {"nps": 9, "service": {"speed": 4, "kindness": 5},
                    "channels": {"choices": ["friend", "search"]},
                    "reason": "직원이 친절해요"}, completed=at(2026, 2), customer_pk=customer.pk)
    answer(survey, {"nps": 6, "service": {"speed": 2, "kindness": 4},
                    "reason": "Delivery was slow, call me 010-1234-5678"},
           language="en", channel="email", completed=at(2026, 2, 11))
    answer(survey, {"nps": 10, "channels": {"choices": ["ad", "other"], "other": "TV"}},
           language="en", completed=at(2026, 2, 12))
    answer(survey, {"nps": 0, "reason": "가격이 비싸요"}, completed=at(2026, 2, 13))
    analyse_pending_answers()
    return survey


def page(client, url, language="en"):
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_results_page_shows_scores_counts_versions_and_charts(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/results/")
    # 7 answers: promoters 10, 9, 10; passive 8; detractors 3, 6, 0 → NPS 0.0
    assert "NPS 0.0" in html
    assert "v1: 3, v2: 4" in html
    # NPS 0 in January (10, 3, 8) and in February (9, 6, 10, 0): a flat line at the middle
    assert 'data-testid="nps-line" points="0.0,100.0 600.0,100.0"' in html
    assert 'data-testid="nps-band"' in html
    assert "2026-01" in html and "2026-02" in html
    assert 'data-testid="matrix-service"' in html and "Kindness" in html and "4.50" in html
    assert "Where did you hear of us?" in html
    assert 'data-theme="delivery"' in html
    assert 'aria-current="page"' in html  # the surveys menu item is marked current


def test_results_page_in_korean_uses_the_korean_wording(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/results/", language="ko")
    assert "서비스를 평가해 주세요" in html and "친절" in html
    assert "Rate our service" not in html
    assert 'lang="ko"' in html


def test_results_filters_narrow_the_numbers(owner_client, two_version_survey):
    pk = two_version_survey.pk
    html = page(owner_client, f"/surveys/{pk}/results/?version=1")
    assert "v1: 3" in html and "v2:" not in html
    trend = html.split('data-testid="nps-trend"')[1].split("</svg>")[0]
    assert "2026-01" in trend and "2026-02" not in trend  # the trend follows the filters
    html = page(owner_client, f"/surveys/{pk}/results/?language=en&since=2026-02-01")
    # English answers in February: 6 and 10 → one promoter, one detractor
    assert "NPS 0.0" in html and "(2 answers)" in html
    html = page(owner_client, f"/surveys/{pk}/results/?channel=email")
    assert "NPS -100.0" in html
    # Comments about slow delivery came with scores 3 and 6.
    html = page(owner_client, f"/surveys/{pk}/results/?theme=delivery&sentiment=negative")
    assert "NPS -100.0" in html and "(2 answers)" in html
    assert f'href="/surveys/{pk}/responses/?theme=delivery"' in html  # no second theme
    html = page(owner_client, f"/surveys/{pk}/results/?nps=promoter")
    assert "NPS 100.0" in html and "(3 answers)" in html


def test_bad_filter_values_are_named(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/results/?since=yesterday")
    assert "From: write the date as YYYY-MM-DD." in html


def test_theme_sentiment_chart_counts_mentions(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/results/")
    chart = html.split('data-testid="theme-chart"')[1].split("</ul>")[0]
    assert 'data-theme="delivery">positive 0 · neutral 0 · negative 2' in chart
    assert 'data-theme="quality">positive 1' in chart


def test_csat_survey_headline_is_a_mean_with_intervals(owner):
    survey = create_survey(actor=Actor(user=owner), name="CSAT", kind="csat",
                           title=_text("만족도", "Satisfaction"), publish=True,
                           definition={"questions": [{"key": "csat", "type": "csat",
                                                      "text": _text("만족하셨나요?", "Happy?")}]})
    for score in (5, 4, 5, 2):
        answer(survey, {"csat": score})
    client = Client()
    client.force_login(owner)
    html = page(client, f"/surveys/{survey.pk}/results/")
    assert "Mean 4.00" in html
    assert "Top box 50%" in html  # two fives of four answers, Wilson interval beside it
    assert "95% interval" in html


def test_empty_survey_has_a_friendly_empty_state(owner_client, nps_survey):
    html = page(owner_client, f"/surveys/{nps_survey.pk}/results/")
    assert 'data-testid="empty"' in html and "No completed responses yet" in html
    html = page(owner_client, f"/surveys/{nps_survey.pk}/responses/")
    assert 'data-testid="empty"' in html


def test_results_need_the_view_permission(two_version_survey):
    client = Client()
    client.force_login(make_staff(Role.AGENT))
    assert client.get(f"/surveys/{two_version_survey.pk}/results/").status_code == 200
    assert Client().get(f"/surveys/{two_version_survey.pk}/results/").status_code == 302
    assert client.get("/surveys/999999/results/").status_code == 404


def test_responses_page_lists_newest_first_with_masked_text(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/responses/")
    assert html.index("가격이 비싸요") < html.index("직원이 친절해요")
    assert "010-1234-5678" not in html and "[PHONE]" in html
    assert "주차" in html  # an "other" answer is free text too
    assert "/customers/" in html and "김단골" in html
    assert "v1" in html and "v2" in html


def test_responses_page_in_korean(owner_client, two_version_survey):
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/responses/", language="ko")
    assert "어디서 알게 되셨나요?" in html and "지인, 검색" in html


def _rows(html):
    return html.count("<tr data-response=")


def _pager(html):
    return html.split('class="pager">')[1].split("</div>")[0]


FILTER_CASES = [
    ("", 7), ("nps=promoter", 3), ("nps=detractor", 3), ("nps=passive", 1),
    ("language=en", 3), ("version=1", 3), ("channel=email", 1),
    ("theme=delivery", 2), ("theme=delivery&sentiment=negative", 2),
    # Negative: "Delivery was slow…" and "가격이 비싸요"; the bare "주차" (parking) is neutral.
    ("theme=staff&sentiment=positive", 1), ("sentiment=negative", 2),
    ("q=비싸", 1), ("q=010-1234", 0), ("nps=detractor&language=ko", 2),
]


def test_responses_filters(owner_client, two_version_survey):
    found = {query: _rows(page(owner_client,
                               f"/surveys/{two_version_survey.pk}/responses/?{query}"))
             for query, _expected in FILTER_CASES}
    assert found == dict(FILTER_CASES)


def test_responses_are_paged_by_cursor(owner_client, nps_survey):
    for score in range(55):
        answer(nps_survey, {"nps": score % 11, "best": {"choice": "price"}})
    html = page(owner_client, f"/surveys/{nps_survey.pk}/responses/?language=ko")
    assert _rows(html) == 50
    cursor = _pager(html).split("language=ko&cursor=")[1].split('"')[0]  # the filter is kept
    html = page(owner_client, f"/surveys/{nps_survey.pk}/responses/?language=ko&cursor={cursor}")
    assert _rows(html) == 5 and "cursor=" not in _pager(html)
    html = page(owner_client, f"/surveys/{nps_survey.pk}/responses/?nps=promoter")
    assert _rows(html) == 10 and "cursor=" not in _pager(html)  # scores 9 and 10, five times each
    assert owner_client.get(f"/surveys/{nps_survey.pk}/responses/?cursor=bad").status_code == 404


def test_response_detail_shows_answers_and_analysis(owner_client, two_version_survey):
    response = Response.objects.get(survey=two_version_survey, language="en",
                                    channel="email")
    html = page(owner_client, f"/surveys/{two_version_survey.pk}/responses/{response.pk}/")
    assert "Speed 2, Kindness 4" in html
    assert "[PHONE]" in html and "010-1234-5678" not in html
    assert "Delivery: Negative" in html
    other = create_survey(actor=Actor(user=make_staff(Role.ADMIN)), name="Other",
                          title=_text("다른", "Other"), definition=V1, publish=True)
    assert owner_client.get(
        f"/surveys/{other.pk}/responses/{response.pk}/").status_code == 404


def test_responses_page_queries_do_not_grow_with_rows(owner_client, two_version_survey):
    url = f"/surveys/{two_version_survey.pk}/responses/"
    page(owner_client, url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        page(owner_client, url + "?version=1")
    with CaptureQueriesContext(connection) as more:
        page(owner_client, url)
    assert len(more.captured_queries) == len(few.captured_queries)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_results_and_responses_in_a_browser_on_a_phone(browser, live_server, two_version_survey):
    make_staff(Role.ANALYST, "analyst@example.com")
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "analyst@example.com")
    tab.fill("#id_password", "a-long-password-1")
    tab.click("main button[type=submit]")
    tab.wait_for_load_state()
    tab.goto(f"{live_server.url}/surveys/{two_version_survey.pk}/results/")
    tab.click(".lang-switch button[value=ko]")
    tab.wait_for_load_state()
    assert tab.locator("html").get_attribute("lang") == "ko"
    assert tab.locator("[data-question=service] h3").inner_text() == "서비스를 평가해 주세요"
    assert tab.locator("[data-testid=nps-line]").bounding_box()["width"] > 100
    assert "v1: 3, v2: 4" in tab.locator("[data-testid=by-version]").inner_text()
    tab.select_option("select[name=version]", "1")
    tab.click("form.sr-filters button[type=submit]")
    tab.wait_for_url("**version=1**")
    assert "v2" not in tab.locator("[data-testid=by-version]").inner_text()
    tab.goto(f"{live_server.url}/surveys/{two_version_survey.pk}/responses/")
    tab.select_option("select[name=theme]", "delivery")
    tab.click("form.sr-filters button[type=submit]")
    tab.wait_for_url("**theme=delivery**")
    assert tab.locator("tr[data-response]").count() == 2
    assert "[PHONE]" in tab.locator("[data-testid=responses]").inner_text()
    # The wide table scrolls inside its box; the page itself does not scroll sideways.
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
