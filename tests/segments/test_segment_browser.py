"""Building a segment in a real browser: rows added with htmx, the count updates live."""

import pytest

from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.segments.models import Segment
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page):
    """Wait until htmx has swapped, settled and wired up the new rows."""
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-added,"
                           " .htmx-settling, .htmx-swapping')")


def test_build_a_segment_with_a_live_count(browser, live_server):
    User.objects.create_user("marketer@example.com", "a-long-password-1", name="M",
                             role=Role.MARKETER)
    CustomerFactory.create_batch(2, region="서울", gender="female")
    CustomerFactory(region="서울", gender="male")
    CustomerFactory(region="부산", gender="female")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "marketer@example.com")
    page.fill("#id_password", "a-long-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click(".lang-switch button[value=en]")
    page.goto(f"{live_server.url}/segments/new/")
    count = page.locator("#live-count")
    assert count.inner_text() == "4 customers match"

    page.click("button[value=add]")
    page.wait_for_selector("[name=rule-0-field]")
    settled(page)
    page.fill("[name=rule-0-value]", "서울")
    page.wait_for_function("document.querySelector('#live-count').innerText"
                           " === '3 customers match'")

    page.click("button[value=add]")
    page.wait_for_selector("[name=rule-1-field]")
    settled(page)
    page.select_option("[name=rule-1-field]", "gender")
    # The row comes back with the operators of the new field.
    page.wait_for_function("!document.querySelector('[name=rule-1-op] option[value=contains]')")
    page.fill("[name=rule-1-value]", "female")
    page.wait_for_function("document.querySelector('#live-count').innerText"
                           " === '2 customers match'")
    page.select_option("[name=match]", "any")
    page.wait_for_function("document.querySelector('#live-count').innerText"
                           " === '4 customers match'")

    page.click("button[value='remove:1']")
    page.wait_for_function("!document.querySelector('[name=rule-1-field]')")
    page.wait_for_function("document.querySelector('#live-count').innerText"
                           " === '3 customers match'")
    page.fill("#name", "Seoul")
    page.click("button[value=save]")
    page.wait_for_url("**/segments/*/")
    assert page.locator("[data-testid=member-count]").inner_text() == "3 customers now"
    context.close()
    assert Segment.objects.get().definition == {
        "match": "any", "rules": [{"field": "region", "op": "eq", "value": "서울"}]}
