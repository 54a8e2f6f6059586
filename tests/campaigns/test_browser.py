"""Writing a campaign in a real browser: the preview follows the text as it is typed."""

import os

import pytest

from dangol.accounts.actors import Actor
from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.campaigns.models import Campaign
from dangol.segments.services import create_segment
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_preview_follows_the_message_and_names_a_bad_placeholder(
        browser, live_server, ad_sender):
    marketer = User.objects.create_user("marketer@example.com", "a-long-password-1", name="M",
                                        role=Role.MARKETER)
    CustomerFactory(name="김단골", region="서울")
    segment = create_segment(actor=Actor(user=marketer), name="Seoul", definition={
        "rules": [{"field": "region", "op": "eq", "value": "서울"}]})
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "marketer@example.com")
    page.fill("#id_password", "a-long-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click(".lang-switch button[value=en]")
    page.goto(f"{live_server.url}/segments/{segment.pk}/")
    page.click("[data-testid=use-in-campaign]")
    page.wait_for_url(f"**/campaigns/new/?segment={segment.pk}")
    assert page.input_value("[name=segment]") == str(segment.pk)

    page.fill("[name=name]", "Winter sale")
    page.fill("[name=subject]", "{{name}}, winter sale")
    page.fill("[name=body]", "Hello {{name}} ({{region}})")
    page.wait_for_function("document.querySelector('[data-testid=preview-body]')"
                           "?.innerText.includes('Hello 김단골 (서울)')")
    assert page.inner_text("[data-testid=preview-subject]") == "(광고) 김단골, winter sale"
    page.fill("[name=body]", "Hello {{nmae}}")
    page.wait_for_selector("[data-testid=preview-errors] [data-field=body]")
    if os.environ.get("DANGOL_SCREENSHOTS"):
        page.screenshot(path=os.environ["DANGOL_SCREENSHOTS"] + "/campaign-form.png",
                        full_page=True)
    page.fill("[name=body]", "Hello {{name}}")
    page.click("[data-testid=campaign-form] button[type=submit]")
    page.wait_for_selector("[data-testid=status][data-status=draft]")
    assert Campaign.objects.get().body == "Hello {{name}}"
    if os.environ.get("DANGOL_SCREENSHOTS"):
        page.screenshot(path=os.environ["DANGOL_SCREENSHOTS"] + "/campaign-detail.png",
                        full_page=True)
    context.close()
