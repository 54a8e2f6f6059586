"""Scoring started from the page in a real browser, on a real worker: the run page follows
the run to the end without a reload."""

import pytest

from dangol.accounts.permissions import Role
from dangol.segments.models import ScoringRun
from tests.conftest import make_staff
from tests.fixtures_worker import start_worker, stop_worker
from tests.segments.test_scoring_runs import recent_population

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_score_now_and_watch_the_run_finish(browser, live_server, file_queue):
    recent_population()
    admin = make_staff(Role.ADMIN)
    worker = start_worker()
    try:
        page = browser.new_context(locale="en-US").new_page()
        page.goto(f"{live_server.url}/segments/scoring/")  # asks to log in first
        page.fill("#id_username", admin.email)
        page.fill("#id_password", "a-long-password-1")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/segments/scoring/")

        page.click("[data-testid=start-scoring]")

        run = ScoringRun.objects.get()
        page.wait_for_url(f"{live_server.url}/segments/scoring/{run.pk}/")
        # htmx polls the run until it is done; the page is never reloaded by the test.
        page.wait_for_selector("[data-testid=run-status][data-status=done]", timeout=90_000)
        assert page.inner_text("[data-testid=customers-scored]") == "52"
        assert page.inner_text("[data-testid=chunks-done]") == "—"  # scored in one process
        assert page.inner_text("[data-testid=started-by]") == admin.email
        assert page.locator("[data-testid=model-bgnbd] tbody tr").count() == 4
        assert page.locator("[data-testid=resume-scoring]").count() == 0
    finally:
        stop_worker(worker)
