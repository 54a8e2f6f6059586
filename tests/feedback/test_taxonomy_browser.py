"""The theme editor in Debian's chromium driven by Playwright."""

import pytest

from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.feedback.models import TaxonomyTheme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin(db):
    return User.objects.create_user("admin@example.com", "a-long-password-1", name="관리자",
                                    role=Role.ADMIN)


def test_add_a_theme_after_trying_it_on_a_sentence(browser, live_server, admin):
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    page.goto(f"{live_server.url}/feedback/themes/")
    page.fill("#id_username", "admin@example.com")
    page.fill("#id_password", "a-long-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url("**/feedback/themes/")
    assert page.locator("nav.main-nav a[aria-current=page]").get_attribute("href") == (
        "/feedback/themes/")
    assert page.locator("[data-testid=themes] tbody tr").count() == 10

    page.click("a[href='/feedback/themes/new/']")
    page.wait_for_url("**/feedback/themes/new/")
    page.fill("#id_name", "scent")
    page.fill("#id_label_ko", "향")
    page.fill("#id_label_en", "Scent")
    page.fill("#id_cues_ko", "향기, 냄새")
    page.fill("#id_text", "향기가 너무 좋아요")
    page.click("button[value=try]")  # answered in place by htmx, nothing saved
    page.wait_for_selector("#sample-result [data-theme=scent][data-sentiment=positive]")
    assert page.url.endswith("/feedback/themes/new/")
    assert not TaxonomyTheme.objects.exists()

    page.click("button[value=save]")
    page.wait_for_url("**/feedback/themes/")
    row = page.locator("tr[data-theme=scent]")
    assert row.locator("[data-testid=cues-ko]").inner_text() == "2"
    assert TaxonomyTheme.objects.get(name="scent").cues_ko == ["향기", "냄새"]

    page.fill("#id_text", "냄새가 심해요")
    page.click("section.tx-try button[type=submit]")
    page.wait_for_selector("#sample-result [data-theme=scent][data-sentiment=negative]")
    context.close()
