"""A newcomer's first visit, in Debian's chromium driven by Playwright."""

import pytest

from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from tests.factories import CustomerFactory, OrderLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff(db):
    return User.objects.create_user("demo@example.com", "a-long-password-1", name="데모",
                                    role=Role.OWNER)


def log_in(page, live_server):
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "demo@example.com")
    page.fill("#id_password", "a-long-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_log_in_search_and_open_a_customer(browser, live_server, staff):
    customer = CustomerFactory(name="김단골", external_id="C0001")
    CustomerFactory.create_batch(5)
    OrderLineFactory(order__customer=customer)
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    log_in(page, live_server)
    assert page.locator("html").get_attribute("lang") == "ko"
    english = page.locator(".lang-switch button[value=en]")
    assert english.evaluate("b => getComputedStyle(b).color") != "rgb(255, 255, 255)"
    page.click("nav.main-nav >> text=고객")
    page.fill("input[name=q]", "김단골")
    page.wait_for_function("document.querySelectorAll('#customer-rows tbody tr').length === 1")
    page.click("#customer-rows >> text=김단골")
    page.wait_for_url(f"**/customers/{customer.pk}/")
    assert page.locator("h1").inner_text() == "김단골"
    assert page.locator("[data-testid=order-count]").inner_text() == "1"
    english.click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h2").first.inner_text() == "Profile"
    context.close()


def test_import_with_bad_rows_on_a_phone(browser, live_server, staff, tmp_path):
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server)
    csv_file = tmp_path / "고객.csv"
    csv_file.write_bytes("고객번호,이름,휴대폰\nC1,김민수,010-1234-5678\nC2,이영희,02-1\n"
                         "C3,박지훈,010-2222-3333\n".encode("cp949"))
    page.goto(f"{live_server.url}/customers/import/")
    page.select_option("#kind", "customers")
    page.set_input_files("#file", str(csv_file))
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=job-status][data-status=done]", timeout=20_000)
    assert page.locator("[data-testid=created]").inner_text() == "2"
    rejects = page.locator("[data-testid=rejects] tbody tr")
    assert rejects.count() == 1
    assert rejects.first.inner_text().split("\t")[:2] == ["3", "휴대폰"]
    # The page fits a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
