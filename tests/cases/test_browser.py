"""An agent works a detractor's case in a real browser: from the inbox to resolved."""

import os

import pytest

from dangol.cases.models import Case
from dangol.surveys.services.responses import submit_response
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_takes_a_detractor_case_notes_it_and_resolves_it(browser, live_server,
                                                                   survey, agent):
    make_rule(threshold=6)
    customer = CustomerFactory(name="이불만", email="unhappy@example.com")
    submit_response(survey=survey, language="ko", customer_pk=customer.pk,
                    answers={"nps": 1, "comment": "배송이 너무 늦어요"})
    case = Case.objects.get()
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", agent.email)
    tab.fill("#id_password", "a-long-password-1")
    tab.click("main button[type=submit]")
    tab.goto(f"{live_server.url}/cases/?view=unassigned")
    assert tab.get_by_test_id("count-unassigned").locator(".num").inner_text() == "1"
    tab.locator(f"tr[data-case='{case.pk}'] td a").first.click()
    tab.get_by_test_id("answers").wait_for()
    assert "이불만" in tab.get_by_test_id("customer").inner_text()
    tab.get_by_test_id("assign-form").locator("select").select_option(str(agent.pk))
    tab.get_by_test_id("assign-form").locator("button").click()
    tab.get_by_test_id("note-form").locator("textarea").fill("고객에게 전화함")
    tab.get_by_test_id("note-form").locator("button").click()
    assert "고객에게 전화함" in tab.get_by_test_id("notes").inner_text()
    # Resolving without a resolution code is refused and says which field.
    tab.get_by_test_id("resolve-form").locator("button").click()
    tab.locator(".messages li.error").wait_for()
    case.refresh_from_db()
    assert case.status == "new"
    tab.get_by_test_id("resolve-form").locator("select[name=resolution_code]").select_option(
        "refund")
    tab.get_by_test_id("resolve-form").locator("button").click()
    tab.get_by_test_id("reopen-form").wait_for()
    case.refresh_from_db()
    assert (case.status, case.assignee, case.resolution_code) == ("resolved", agent, "refund")
    history = tab.get_by_test_id("history").inner_text()
    assert history.count("\n") >= 3
    if os.environ.get("DANGOL_SCREENSHOTS"):
        tab.screenshot(path=os.path.join(os.environ["DANGOL_SCREENSHOTS"], "case.png"),
                       full_page=True)
        tab.goto(f"{live_server.url}/cases/?view=all")
        tab.screenshot(path=os.path.join(os.environ["DANGOL_SCREENSHOTS"], "inbox.png"),
                       full_page=True)
    context.close()
