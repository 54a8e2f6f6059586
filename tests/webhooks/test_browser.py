"""Setting up an endpoint in Debian's chromium driven by Playwright."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.webhooks.models import Delivery, DeliveryKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_an_endpoint_send_a_test_event_and_replay(browser, live_server,
                                                         webhook_receiver):
    User.objects.create_user("hooks@example.com", "a-long-password-1", name="Hooks",
                             role=Role.OWNER)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "hooks@example.com")
    page.fill("#id_password", "a-long-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.locator(".lang-switch button[value=en]").click()

    page.click("nav.main-nav a[href='/webhooks/']")
    page.fill("#id_url", webhook_receiver.url)
    page.check("input[name=event_types][value='*']")
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/webhooks/*/")
    secret = page.locator("[data-testid=new-secret]").inner_text().strip()
    assert secret.startswith("whsec_")

    page.click("text=Send a test event")
    page.wait_for_selector("[data-testid=deliveries] >> text=webhook.test")
    [request] = webhook_receiver.received
    assert request.signature_ok(secret) and request.json()["type"] == "webhook.test"
    assert "[data-testid=new-secret]" not in page.content()

    now = timezone.localtime()
    page.fill("#id_since", (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_until", (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("[data-testid=replay-form] button[type=submit]")
    page.wait_for_selector("text=0 events will be sent again.")
    assert not Delivery.objects.filter(kind=DeliveryKind.REPLAY).exists()  # tests are not replayed
    context.close()
