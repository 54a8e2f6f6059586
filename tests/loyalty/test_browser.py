"""The customer's points page in a real browser, on a phone, from the e-mailed link."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.loyalty.models import Source
from dangol.loyalty.services import ledger
from dangol.loyalty.tokens import card_url
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_reads_points_and_what_expires_soon_on_a_phone(browser, live_server, settings):
    settings.DANGOL_PUBLIC_URL = live_server.url
    customer = CustomerFactory(name="김단골", language="ko")
    program = ledger.default_program()
    program.expiry_days = 20
    ledger.earn_points(
        actor=SYSTEM,
        customer_pk=customer.pk,
        points=12500,
        source=Source.ORDER,
        idempotency_key="o1",
        program=program,
        at=timezone.now() - timedelta(days=1),
    )
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(card_url(customer_pk=customer.pk))
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "12,500" in page.get_by_test_id("spendable").inner_text()
    assert "12,500" in page.get_by_test_id("expiring").inner_text()
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="English").click()
    page.get_by_text("points to use").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert context.cookies() == []
    context.close()
