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


def test_a_marketer_creates_a_campaign_and_issues_a_code_on_a_phone(browser, live_server):
    import os

    from dangol.accounts.permissions import Role
    from dangol.loyalty.models import Coupon, CouponCampaign
    from tests.conftest import make_staff

    make_staff(Role.MARKETER, "marketer@example.com")
    customer = CustomerFactory(name="박단골")
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "marketer@example.com")
    tab.fill("#id_password", "a-long-password-1")
    tab.click("main button[type=submit]")
    tab.wait_for_load_state()
    tab.goto(f"{live_server.url}/loyalty/campaigns/new/")
    tab.fill("#id_name", "첫 구매 5천원")
    tab.select_option("#id_kind", "fixed")
    tab.fill("#id_value", "5000.5")
    tab.click("[data-testid=campaign-form] button[type=submit]")
    # A won amount with a fraction is refused, naming the field; nothing is saved.
    tab.locator("[data-testid=form-errors] [data-field=value]").wait_for()
    assert not CouponCampaign.objects.exists()
    tab.fill("#id_value", "5000")
    tab.click("[data-testid=campaign-form] button[type=submit]")
    tab.locator("[data-testid=issue-form]").wait_for()
    tab.fill("#id_customer", customer.external_id)
    tab.click("[data-testid=issue-form] button[type=submit]")
    tab.locator("[data-stat=issued]").filter(has_text="1").wait_for()
    code = Coupon.objects.get(customer=customer).code
    assert code[:4] in tab.locator("[data-testid=codes]").inner_text()
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    if os.environ.get("DANGOL_SCREENSHOTS"):
        tab.screenshot(path=os.environ["DANGOL_SCREENSHOTS"] + "/campaign.png", full_page=True)
    context.close()
