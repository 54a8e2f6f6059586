"""The report pages: list, form with field-level messages, schedule page, PDFs."""

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.accounts.permissions import Role
from dangol.reports import delivery, services
from dangol.reports.models import ReportRun, ReportSchedule
from tests.reports.conftest import client_for, make_schedule, seoul

pytestmark = pytest.mark.django_db

FORM = {"name": "주간 보고서", "sections": ["summary", "trend"], "survey": "",
        "frequency": "weekly", "weekday": "0", "day_of_month": "", "hour": "9",
        "language": "ko", "recipients": "boss@example.com, cx@example.com\nops@example.com",
        "active": "on"}


def test_create_from_the_form_then_see_it_in_the_list(time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    client = client_for(Role.ANALYST)
    new = client.get("/reports/new/")
    assert new.context["form"].initial["sections"] == ["summary", "trend", "themes", "cases",
                                                       "loyalty"]
    response = client.post("/reports/new/", FORM)
    schedule = ReportSchedule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{schedule.pk}/"
    assert schedule.recipients == ["boss@example.com", "cx@example.com", "ops@example.com"]
    assert schedule.next_run_at == seoul(2026, 11, 30, 9)
    page = client.get("/reports/").content.decode()
    assert "주간 보고서" in page and "Every Monday at 09:00" in page
    assert 'href="/reports/"' in page  # the navigation entry


def test_the_form_names_each_bad_field_and_saves_nothing():
    client = client_for(Role.ADMIN)
    response = client.post("/reports/new/", {**FORM, "weekday": "", "recipients": "nobody",
                                             "sections": []})
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["weekday"] == ["Choose the weekday (0 = Monday … 6 = Sunday)."]
    assert form.errors["recipients"] == ["Not an e-mail address: nobody."]
    assert form.errors["sections"] == ["Choose at least one section."]
    assert "Not an e-mail address: nobody." in response.content.decode()
    assert not ReportSchedule.objects.exists()


def test_edit_keeps_the_values_and_changes_the_schedule(time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    schedule = make_schedule(frequency="weekly", weekday=0)
    client = client_for(Role.ADMIN)
    form = client.get(f"/reports/{schedule.pk}/edit/").context["form"]
    assert form.initial["recipients"] == "boss@example.com"
    response = client.post(f"/reports/{schedule.pk}/edit/", {
        **FORM, "frequency": "monthly", "day_of_month": "31", "language": "en"})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.day_of_month, schedule.weekday) == ("monthly", 31,
                                                                             None)
    assert schedule.next_run_at == seoul(2026, 11, 30, 9)


def test_schedule_page_shows_runs_with_their_errors(smtp_server, time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    schedule = make_schedule(frequency="daily", recipients=["a@example.com"])
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    smtp_server.fail_next()
    delivery.send_run(run_id=run.pk)
    client = client_for(Role.MARKETER)
    page = client.get(f"/reports/{schedule.pk}/").content.decode()
    assert "Try again later" in page and f'data-run="{run.pk}"' in page
    assert 'data-testid="send-now"' not in page  # a marketer may look, not send
    assert client.post(f"/reports/{schedule.pk}/send/").status_code == 403
    assert client.get(f"/reports/runs/{run.pk}/report.pdf").status_code == 200


def test_send_now_mails_the_report(smtp_server, time_machine,
                                   django_capture_on_commit_callbacks):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    schedule = make_schedule(frequency="daily", recipients=["a@example.com"])
    client = client_for(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reports/{schedule.pk}/send/")
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert run.status == "sent" and run.trigger == "manual"
    assert smtp_server.messages[0].rcpt_tos == ["a@example.com"]
    page = client.get(f"/reports/{schedule.pk}/").content.decode()
    assert "2026-11-23 – 2026-11-23" in page


def test_preview_pdf_download(time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    schedule = make_schedule(frequency="weekly", weekday=2)
    response = client_for(Role.MARKETER).get(f"/reports/{schedule.pk}/preview.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert not ReportRun.objects.exists()  # a preview is not a run


def test_delete_removes_the_runs_and_their_pdfs(smtp_server, time_machine,
                                                django_capture_on_commit_callbacks):
    time_machine.move_to(seoul(2026, 11, 24, 10), tick=False)
    schedule = make_schedule(frequency="daily")
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    run = delivery.send_run(run_id=run.pk)
    stored = delivery.stored_pdf(run)
    assert stored is not None
    client = client_for(Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/reports/{schedule.pk}/delete/").status_code == 302
    assert not ReportSchedule.objects.exists() and not ReportRun.objects.exists()
    assert not stored.exists()
    assert client.get(f"/reports/{schedule.pk}/").status_code == 404


def test_agents_do_not_see_reports():
    client = client_for(Role.AGENT)
    assert client.get("/reports/").status_code == 403
    schedule = make_schedule(frequency="daily")
    assert client.get(f"/reports/{schedule.pk}/preview.pdf").status_code == 403
    assert client_for(Role.MARKETER).get("/reports/new/").status_code == 403


def test_pages_in_korean():
    make_schedule(frequency="daily")
    client = client_for(Role.ADMIN)
    page = client.get("/reports/", headers={"Accept-Language": "ko"}).content.decode()
    assert '<html lang="ko">' in page
    assert "<th>이름</th>" in page and "<th>언어</th>" in page
