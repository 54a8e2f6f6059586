"""A customer unsubscribes from an ad e-mail's link in a real browser, on a phone."""

import pytest

from dangol.customers.models import ConsentEvent
from dangol.engagement.tokens import unsubscribe_url
from tests.engagement.conftest import grant
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_unsubscribes_in_english_without_logging_in(browser, live_server, settings):
    settings.DANGOL_PUBLIC_URL = live_server.url
    customer = CustomerFactory(language="ko")
    grant(customer, "email")
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(unsubscribe_url(customer_id=customer.pk, channel="email"))
    assert page.locator("html").get_attribute("lang") == "ko"
    page.get_by_role("link", name="English").click()
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert context.cookies() == []
    context.close()
    assert not customer.consents.get(channel="email").is_granted
    assert ConsentEvent.objects.filter(customer=customer, channel="email",
                                       action="withdraw").count() == 1
