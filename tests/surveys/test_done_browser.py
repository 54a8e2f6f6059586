"""The whole loop a new user tries, in Debian's chromium: build a bilingual NPS survey with
a branch, send it to a saved segment by e-mail, answer it on a phone in Korean, watch the score
and its interval move, export the answers."""

import re

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.segments.services.segments import create_segment
from dangol.surveys.models import Response, Survey
from dangol.surveys.services.responses import submit_response
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_send_answer_on_a_phone_and_export(browser, live_server, smtp_server, tmp_path):
    User.objects.create_user("boss@example.com", "a-long-password-1", name="사장",
                             role=Role.OWNER)
    CustomerFactory(name="김단골", email="kim@example.com", language="ko", region="서울")
    CustomerFactory(email="lee@example.com", region="부산")
    seoul = create_segment(actor=SYSTEM, name="서울 고객", definition={
        "match": "all", "rules": [{"field": "region", "op": "eq", "value": "서울"}]})

    staff = browser.new_context(locale="en-US").new_page()
    staff.goto(f"{live_server.url}/")
    staff.fill("#id_username", "boss@example.com")
    staff.fill("#id_password", "a-long-password-1")
    staff.click("main button[type=submit]")
    staff.wait_for_url(f"{live_server.url}/")

    # Build: start from the NPS template, add a branched question in both languages.
    staff.goto(f"{live_server.url}/surveys/new/")
    staff.fill("#id_name", "분기 NPS")
    staff.select_option("#id_kind", "nps")
    staff.click("main button[type=submit]")
    staff.wait_for_url(re.compile(r".*/surveys/\d+/$"))
    survey = Survey.objects.get()
    staff.goto(f"{live_server.url}/surveys/{survey.pk}/questions/new/")
    staff.fill("#id_key", "fan_reason")
    staff.select_option("#id_type", "single")
    staff.fill("#id_text_ko", "가장 마음에 드는 점은?")
    staff.fill("#id_text_en", "What do you like most?")
    staff.fill("#id_choices", "price | 가격 | Price\nquality | 품질 | Quality")
    staff.select_option("#id_show_question", "nps")
    staff.select_option("#id_show_op", "gte")
    staff.fill("#id_show_value", "9")
    staff.click("main button[type=submit]")
    staff.wait_for_url(f"**/surveys/{survey.pk}/")
    staff.click("button[name=publish]")
    staff.wait_for_load_state()
    survey.refresh_from_db()
    assert survey.status == "live" and survey.current_version.number == 1
    assert survey.current_version.definition["questions"][-1]["show_if"][0]["value"] == 9

    submit_response(survey=survey, answers={"nps": 10, "fan_reason": "quality"}, language="en")
    staff.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    before = staff.locator("[data-testid=headline]").inner_text()
    assert "NPS 100.0" in before

    # Send to the saved segment by e-mail, as its page suggests: only Seoul is invited.
    staff.goto(f"{live_server.url}/segments/{seoul.pk}/")
    staff.click("[data-testid=use-in-survey]")
    staff.click(f"a[href='/surveys/{survey.pk}/distribute/?segment={seoul.pk}']")
    assert staff.locator("#id_segment").input_value() == str(seoul.pk)
    staff.select_option("#id_channel", "email")
    staff.wait_for_function(
        "document.querySelector('#audience-count').textContent.includes('1')")
    staff.click("button[name=send]")
    staff.wait_for_load_state()
    [mail] = smtp_server.messages
    assert mail["To"] == "kim@example.com"
    link = re.search(r"http://\S+/i/\S+/", mail.text()).group(0)
    path = link.split("/i/", 1)[1]

    # Answer on a phone, in Korean: a detractor gets the follow-up question.
    phone = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{live_server.url}/i/{path}")
    assert phone.locator("html").get_attribute("lang") == "ko"
    assert phone.get_by_text("추천할 가능성").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.locator("label", has_text=re.compile(r"^3$")).click()
    phone.click("button[value=next]")
    phone.get_by_text("어떤 점이 아쉬우셨나요?").wait_for()
    phone.fill("textarea[name=q-why_low]", "배송이 너무 늦었어요")
    phone.click("button[value=next]")
    phone.locator("textarea[name=q-comment]").wait_for()
    phone.click("button[value=next]")
    phone.locator("h1").wait_for()
    assert phone.get_by_text("What do you like most?").count() == 0
    answered = Response.objects.get(invitation__isnull=False)
    assert answered.status == "completed" and answered.language == "ko"
    assert answered.answers == {"nps": 3, "why_low": "배송이 너무 늦었어요"}

    # The score and its interval move.
    staff.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    after = staff.locator("[data-testid=headline]").inner_text()
    assert "NPS 0.0" in after and after != before

    # Export, with both answers, languages merged.
    with staff.expect_download() as download:
        staff.click("a:text('CSV')")
    saved = tmp_path / "answers.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "배송이 너무 늦었어요" in text
    assert len(text.strip().splitlines()) == 3
