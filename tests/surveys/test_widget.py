"""The website widget: its JSON endpoints, and the script in a real browser on another site."""

import functools
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.surveys.models import Answer, Response, Survey
from dangol.surveys.services.surveys import close_survey, create_survey

NPS_AND_COMMENT = {"questions": [
    {"key": "nps", "type": "nps",
     "text": {"ko": "저희 가게를 친구에게 추천하시겠어요?",
              "en": "How likely are you to recommend us to a friend?"}},
    {"key": "comment", "type": "text", "required": False,
     "text": {"ko": "하고 싶은 말씀이 있나요?", "en": "Anything you would like to tell us?"}},
]}


@pytest.fixture
def widget_survey(owner) -> Survey:
    return create_survey(actor=Actor(user=owner), name="Website NPS",
                         title={"ko": "잠깐 설문", "en": "Quick question"},
                         thank_you={"ko": "소중한 의견 감사합니다.", "en": "Thanks a lot!"},
                         definition=NPS_AND_COMMENT, publish=True)


def _post(client: Client, survey: Survey, body: object, **extra: str):
    return client.post(f"/w/{survey.public_slug}/responses", data=json.dumps(body),
                       content_type="application/json", **extra)


# The endpoints ----------------------------------------------------------------

def test_the_survey_json_is_in_the_asked_language_with_branching(nps_survey) -> None:
    english = Client().get(f"/w/{nps_survey.public_slug}/survey.json?lang=en-US")
    assert english.status_code == 200
    assert english["Access-Control-Allow-Origin"] == "*"
    body = english.json()
    assert body["language"] == "en"
    assert body["title"] == "Customer survey"
    nps, why_low, best = body["questions"]
    assert nps["text"] == "How likely are you to recommend us to a friend?"
    assert nps["scale"] == list(range(11))
    assert why_low["show_if"] == [{"question": "nps", "op": "lte", "value": 6}]
    assert {c["key"] for c in best["choices"]} == {"price", "quality"}
    assert best["allow_other"] is True
    korean = Client().get(f"/w/{nps_survey.public_slug}/survey.json?lang=ja").json()
    assert korean["language"] == "ko"  # not offered: the survey's default
    assert korean["questions"][0]["text"] == "저희 가게를 친구에게 추천하시겠어요?"


@pytest.mark.parametrize("change", ["closed", "no_anonymous_link", "unknown"])
def test_only_a_live_survey_with_an_open_link_is_served(nps_survey, owner, change) -> None:
    slug = nps_survey.public_slug
    if change == "closed":
        close_survey(actor=Actor(user=owner), survey=nps_survey)
    elif change == "no_anonymous_link":
        Survey.objects.filter(pk=nps_survey.pk).update(anonymous_link=False)
    else:
        slug = "no-such-survey"
    client = Client()
    assert client.get(f"/w/{slug}/survey.json").status_code == 404
    assert client.get(f"/w/{slug}.js").status_code == 404
    refused = client.post(f"/w/{slug}/responses", data=json.dumps({"answers": {"nps": 9}}),
                          content_type="application/json")
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert Response.objects.count() == 0


def test_the_script_is_served_as_javascript(widget_survey) -> None:
    script = Client().get(f"/w/{widget_survey.public_slug}.js")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("text/javascript")
    assert b"survey.json" in script.content


def test_the_preflight_allows_any_origin_without_credentials(widget_survey) -> None:
    preflight = Client().options(
        f"/w/{widget_survey.public_slug}/responses",
        HTTP_ORIGIN="https://shop.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert preflight["Access-Control-Allow-Headers"].lower() == "content-type"
    assert not preflight.has_header("Access-Control-Allow-Credentials")


def test_a_complete_answer_is_recorded_as_a_widget_response(widget_survey) -> None:
    sent = _post(Client(), widget_survey, {"answers": {"nps": 9, "comment": "  좋아요 "},
                                           "language": "ko"})
    assert sent.status_code == 201
    assert sent["Access-Control-Allow-Origin"] == "*"
    assert sent.json()["thank_you"] == "소중한 의견 감사합니다."
    response = Response.objects.get()
    assert (response.channel, response.status, response.language) == ("widget", "completed", "ko")
    assert response.answers == {"nps": 9, "comment": "좋아요"}
    assert response.client_hash
    assert Answer.objects.get(response=response, question="nps").number == 9


def test_bad_answers_are_named_per_question_and_nothing_is_stored(nps_survey) -> None:
    refused = _post(Client(), nps_survey, {"answers": {"nps": 11, "colour": "red"},
                                           "language": "en"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "validation_error"
    problems = {e["field"]: e["message"] for e in body["errors"]}
    assert problems["nps"] == "Choose a number from 0 to 10."
    assert problems["best"] == "This question needs an answer."
    assert problems["colour"] == "This survey has no such question."
    assert Response.objects.count() == 0


def test_the_same_answers_from_the_same_browser_twice_in_a_day_are_refused(
        widget_survey) -> None:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 test")
    assert _post(client, widget_survey, {"answers": {"nps": 10}}).status_code == 201
    again = _post(client, widget_survey, {"answers": {"nps": 10}})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_submission"
    assert _post(client, widget_survey, {"answers": {"nps": 8}}).status_code == 201
    other_browser = Client(HTTP_USER_AGENT="Another browser")
    assert _post(other_browser, widget_survey, {"answers": {"nps": 10}}).status_code == 201
    assert Response.objects.filter(channel="widget").count() == 3


def test_the_per_address_rate_limit_applies(widget_survey, settings) -> None:
    settings.SURVEY_RATE_LIMIT_PER_HOUR = 2
    client = Client()
    statuses = [_post(client, widget_survey, {"answers": {"nps": n}}).status_code
                for n in (1, 2, 3)]
    assert statuses == [201, 201, 429]
    assert Response.objects.count() == 2


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"answers": [9]}'])
def test_a_malformed_body_is_a_clear_400(widget_survey, body) -> None:
    refused = Client().post(f"/w/{widget_survey.public_slug}/responses", data=body,
                            content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_json"
    assert Response.objects.count() == 0


# In a real browser, on a page served by another origin -----------------------------

SITE_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>
<style>body {{ font-family: serif }} button {{ background: red }}</style></head>
<body><h1>A shop somewhere else</h1><a href="#top" id="shop-link">Shop</a>
<script src="{dangol}/w/{slug}.js" async data-delay="0" data-position="bottom-left"></script>
</body></html>
"""


@pytest.fixture
def other_site(tmp_path) -> Iterator[object]:
    """A plain HTTP server on another port: the site that embeds the widget."""

    class Site:
        def page(self, name: str, html: str) -> str:
            (tmp_path / name).write_text(html, encoding="utf-8")
            return f"http://127.0.0.1:{server.server_address[1]}/{name}"

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # A short poll interval: shutdown waits for the loop to notice.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield Site()
    server.shutdown()
    server.server_close()


def _open_site(browser, other_site, live_server, survey, lang: str):
    url = other_site.page(f"shop-{lang}.html", SITE_PAGE.format(
        lang=lang, dangol=live_server.url, slug=survey.public_slug))
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    return context, page, dialog


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_answers_the_popup_on_another_site(browser, live_server, other_site,
                                                     widget_survey) -> None:
    context, page, dialog = _open_site(browser, other_site, live_server, widget_survey, "en")
    assert dialog.get_attribute("aria-modal") == "true"
    assert dialog.get_by_role("heading").inner_text() == "Quick question"
    nps = dialog.get_by_role("group", name="How likely are you to recommend us to a friend?")
    nps.get_by_text("9", exact=True).click()
    comment = dialog.get_by_role("textbox", name="Anything you would like to tell us?")
    comment.fill("Friendly staff")
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_text("Thanks a lot!").wait_for()
    response = Response.objects.get()
    assert response.channel == "widget"
    assert response.status == "completed"
    assert response.language == "en"
    assert response.answers == {"nps": 9, "comment": "Friendly staff"}
    stored = page.evaluate("slug => localStorage.getItem('dangol-survey:' + slug)",
                           widget_survey.public_slug)
    assert stored == "answered"
    page.reload()
    page.get_by_role("heading", name="A shop somewhere else").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("dialog").count() == 0  # answered: not asked again
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_missing_answer_is_shown_next_to_the_question_and_nothing_stored(
        browser, live_server, other_site, widget_survey) -> None:
    context, _page, dialog = _open_site(browser, other_site, live_server, widget_survey, "ko")
    assert dialog.get_by_role("heading").inner_text() == "잠깐 설문"
    dialog.get_by_role("textbox").fill("점수는 안 줄래요")
    dialog.get_by_role("button").last.click()
    nps = dialog.locator("fieldset[data-question=nps]")
    error = nps.locator(".error")
    error.wait_for()
    assert error.inner_text().strip()
    assert nps.get_attribute("aria-invalid") == "true"
    assert nps.get_attribute("aria-describedby") == error.get_attribute("id")
    assert dialog.locator("fieldset[data-question=comment] .error").is_hidden()
    assert dialog.get_by_role("alert").is_visible()
    assert Response.objects.count() == 0
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_popup_keeps_the_keyboard_and_escape_dismisses_it_for_good(
        browser, live_server, other_site, widget_survey) -> None:
    context, page, dialog = _open_site(browser, other_site, live_server, widget_survey, "en")
    focused_inside = "() => !!document.querySelector('[data-dangol-widget]')" \
        ".shadowRoot.activeElement"
    for _ in range(20):  # more presses than the popup has stops: focus never leaves
        page.keyboard.press("Tab")
        assert page.evaluate(focused_inside)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(focused_inside)
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    page.reload()
    page.get_by_role("heading", name="A shop somewhere else").wait_for()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("dialog").count() == 0
    assert Response.objects.count() == 0
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_popup_follows_the_survey_branching(browser, live_server, other_site,
                                                nps_survey) -> None:
    context, _page, dialog = _open_site(browser, other_site, live_server, nps_survey, "en")
    follow_up = dialog.get_by_role("group", name="What went wrong?")
    assert follow_up.is_hidden()
    dialog.get_by_text("3", exact=True).click()
    follow_up.wait_for()
    dialog.get_by_text("9", exact=True).click()
    follow_up.wait_for(state="hidden")
    dialog.get_by_role("radio", name="Quality").check()
    dialog.get_by_role("button", name="Submit").click()
    dialog.get_by_text("Thank you!").wait_for()
    assert Response.objects.get().answers == {"nps": 9, "best": {"choice": "quality"}}
    context.close()
