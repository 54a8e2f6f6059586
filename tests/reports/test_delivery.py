"""Runs: started once per schedule and period, mailed with the PDF, retried, failed."""

import io
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from dangol.accounts.actors import SYSTEM
from dangol.reports import delivery, dispatch, services
from dangol.reports.models import ReportRun, ReportSchedule
from dangol.reports.tasks import start_due_reports_task
from dangol.reports.timing import Period
from tests.fixtures_messaging import free_port
from tests.fixtures_threads import run_threads
from tests.reports.conftest import answer, make_schedule, seoul

pytestmark = pytest.mark.django_db


def pdf_attachment(mail):
    parts = [p for p in mail.message.iter_attachments()
             if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1
    return parts[0]


def test_due_schedules_are_each_sent_once(survey, smtp_server, time_machine,
                                          django_capture_on_commit_callbacks):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    answer(survey, nps=10)
    weekly = make_schedule(name="주간 보고", frequency="weekly", weekday=0, hour=9,
                           recipients=["a@example.com", "b@example.com"])
    daily = make_schedule(name="Daily", frequency="daily", hour=8, language="en",
                          recipients=["c@example.com"])
    assert weekly.next_run_at == seoul(2026, 11, 23, 9)
    assert daily.next_run_at == seoul(2026, 11, 21, 8)

    time_machine.move_to(seoul(2026, 11, 21, 7, 59), tick=False)
    assert start_due_reports_task() == 0 and not smtp_server.messages

    time_machine.move_to(seoul(2026, 11, 23, 9, 0, 30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_reports_task() == 2
        assert start_due_reports_task() == 0  # the job running again sends nothing more
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "a@example.com", "b@example.com", "c@example.com"]
    weekly_run = ReportRun.objects.get(schedule=weekly)
    assert (weekly_run.period_start.isoformat(), weekly_run.period_end.isoformat()) == (
        "2026-11-16", "2026-11-23")
    # the daily report missed two days while nothing ran: only the latest day is sent
    daily_run = ReportRun.objects.get(schedule=daily)
    assert daily_run.period_start.isoformat() == "2026-11-22"
    weekly.refresh_from_db()
    daily.refresh_from_db()
    assert weekly.next_run_at == seoul(2026, 11, 30, 9)
    assert daily.next_run_at == seoul(2026, 11, 24, 8)

    time_machine.move_to(seoul(2026, 11, 24, 8, 1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_reports_task() == 1
    assert ReportRun.objects.filter(schedule=daily).count() == 2
    assert len(smtp_server.messages) == 4


def test_the_mail_carries_the_pdf_in_the_schedules_language(survey, smtp_server,
                                                            time_machine):
    time_machine.move_to(seoul(2026, 11, 18, 10), tick=False)
    answer(survey, nps=9, comment="배송이 빨라서 좋아요")
    schedule = make_schedule(name="주간 고객 보고서", frequency="weekly", weekday=0,
                             recipients=["boss@example.com", "cx@example.com"])
    time_machine.move_to(seoul(2026, 11, 23, 9, 1), tick=False)
    (run_id,) = dispatch.start_due_runs()
    run = delivery.send_run(run_id=run_id)
    assert run.status == "sent" and run.attempts == 1 and run.error == ""
    mails = smtp_server.messages
    assert [m.rcpt_tos for m in mails] == [["boss@example.com"], ["cx@example.com"]]
    mail = mails[0]
    with translation.override("ko"):  # the schedule's language, whatever the caller's
        expected = _("[Dangol] %(report)s: %(name)s (%(period)s)") % {
            "report": _("Weekly customer report"), "name": "주간 고객 보고서",
            "period": "2026-11-16 ~ 2026-11-22"}
    # a long non-ASCII subject is folded onto a continuation line, read back with a space
    assert mail["Subject"].strip() == expected
    assert f"/reports/{schedule.pk}/" in mail.text()
    assert run.headline["nps"] == 100.0 and run.headline["responses"] == 1
    assert "100.0" in mail.text()  # the headline NPS in the text
    assert run.message_ids == {m.rcpt_tos[0]: m["Message-ID"] for m in mails}
    attachment = pdf_attachment(mail)
    content = attachment.get_content()
    assert content == (delivery.stored_pdf(run)).read_bytes()
    assert run.pdf_size == len(content) and run.pdf_path.startswith("reports/")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "주간 고객 보고서" in text
    # sending again does nothing
    assert delivery.send_run(run_id=run_id) is None
    assert len(smtp_server.messages) == 2


def test_english_schedule_mails_in_english(smtp_server, time_machine, db):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(name="Ops", frequency="daily", language="en",
                             recipients=["ops@example.com"])
    with translation.override("ko"):
        run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
        delivery.send_run(run_id=run.pk)
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "[Dangol] Daily customer report: Ops (2026-11-19)"
    assert "Attached is the report" in mail.text()
    assert "- NPS: – (previous period: –)" in mail.text()
    assert "- Open cases: 0, overdue: 0, SLA breaches in the period: 0" in mail.text()
    assert pdf_attachment(mail).get_filename().endswith(".pdf")


def test_smtp_errors_are_retried_then_the_run_fails_with_the_error(
        smtp_server, time_machine, settings, db):
    settings.REPORT_MAX_ATTEMPTS = 3
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", recipients=["a@example.com"])
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    smtp_server.fail_next(2)
    now = seoul(2026, 11, 20, 10)
    run = delivery.send_run(run_id=run.pk, now=now)
    assert run.status == "pending" and run.attempts == 1
    assert "451" in run.error and "Try again later" in run.error
    assert run.next_attempt_at == now + timedelta(minutes=1)
    assert delivery.send_run(run_id=run.pk, now=now) is None  # not due yet
    run = delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=1))
    assert run.status == "pending" and run.attempts == 2
    assert run.next_attempt_at == now + timedelta(minutes=6)
    run = delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=6))
    assert run.status == "sent" and run.attempts == 3
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.com"]]


def test_a_mail_server_that_is_down_fails_the_run_after_the_last_try(
        smtp_server, time_machine, settings, django_capture_on_commit_callbacks, db):
    settings.REPORT_MAX_ATTEMPTS = 2
    settings.EMAIL_PORT = free_port()  # nothing listens there
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", hour=9, recipients=["a@example.com"])
    time_machine.move_to(seoul(2026, 11, 21, 9, 0, 10), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        start_due_reports_task()
    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == "pending" and run.attempts == 1
    assert "Connection refused" in run.error or "ConnectionRefusedError" in run.error
    time_machine.move_to(seoul(2026, 11, 21, 9, 1, 30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        start_due_reports_task()  # the beat job queues the due retry
    run.refresh_from_db()
    assert run.status == "failed" and run.attempts == 2 and run.error
    assert run.next_attempt_at is None
    assert run.pdf_size > 0 and delivery.stored_pdf(run) is not None  # the report is kept
    time_machine.move_to(seoul(2026, 11, 21, 12), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        start_due_reports_task()
    run.refresh_from_db()
    assert run.attempts == 2


def test_a_retry_mails_only_the_recipients_not_reached(smtp_server, time_machine, db):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily",
                             recipients=["first@example.com", "second@example.com"])
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    now = seoul(2026, 11, 20, 10)
    original = smtp_server.handler.handle_DATA
    calls = []

    async def second_fails(server, session, envelope):
        calls.append(envelope.rcpt_tos[0])
        if envelope.rcpt_tos[0] == "second@example.com" and calls.count(
                "second@example.com") == 1:
            return "451 4.3.0 Try again later"
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = second_fails
    try:
        run = delivery.send_run(run_id=run.pk, now=now)
        assert run.status == "pending" and list(run.message_ids) == ["first@example.com"]
        run = delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=2))
    finally:
        smtp_server.handler.handle_DATA = original
    assert run.status == "sent"
    assert sorted(run.message_ids) == ["first@example.com", "second@example.com"]
    assert [m.rcpt_tos[0] for m in smtp_server.messages] == [
        "first@example.com", "second@example.com"]


def test_a_sender_that_stopped_is_taken_over_after_its_lease(smtp_server, time_machine, db):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", recipients=["a@example.com"])
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    now = seoul(2026, 11, 20, 10)
    claimed = delivery._claim(run.pk, now)  # a worker claims it, then dies
    assert claimed.status == "sending"
    assert delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=1)) is None
    assert run.pk in dispatch.due_runs(now=now + timedelta(minutes=11))
    run = delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=11))
    assert run.status == "sent" and run.attempts == 2
    assert len(smtp_server.messages) == 1


def test_the_database_refuses_a_second_scheduled_run_for_a_period(db, time_machine):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily")
    values = {"schedule": schedule, "period_start": "2026-11-19", "period_end": "2026-11-20"}
    ReportRun.objects.create(**values)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportRun.objects.create(**values)
    ReportRun.objects.create(**values, trigger="manual")  # "send now" is extra, allowed


def test_a_scheduler_with_a_stale_view_starts_no_second_run(db, time_machine):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", hour=9)
    time_machine.move_to(seoul(2026, 11, 21, 9, 1), tick=False)
    assert len(dispatch.start_due_runs()) == 1
    # as if another scheduler had read the schedule before the first moved it on
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=seoul(2026, 11, 21, 9))
    assert dispatch.start_due_runs() == []
    assert ReportRun.objects.filter(schedule=schedule).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_start_one_run(time_machine):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", hour=9)
    time_machine.move_to(seoul(2026, 11, 21, 9, 1), tick=False)
    results = run_threads(4, lambda i: dispatch.start_due_runs())
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(len(r) for r in results) == 1
    assert ReportRun.objects.filter(schedule=schedule).count() == 1


def test_send_now_covers_the_period_of_the_latest_scheduled_run(db, time_machine):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="weekly", weekday=0, hour=9)  # Mondays
    tuesday = seoul(2026, 11, 24, 10)
    assert services.latest_period(schedule, tuesday) == Period(date(2026, 11, 16),
                                                               date(2026, 11, 23))
    early_monday = seoul(2026, 11, 23, 8)  # before this Monday's run
    assert services.latest_period(schedule, early_monday) == Period(date(2026, 11, 9),
                                                                    date(2026, 11, 16))


def test_a_report_that_cannot_be_made_fails_with_its_reason_after_the_tries(
        smtp_server, settings, time_machine, db):
    settings.REPORT_MAX_ATTEMPTS = 2
    settings.DANGOL_REPORT_FONT = "/nowhere/NanumGothic.ttf"
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", recipients=["a@example.com"])
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)
    now = seoul(2026, 11, 20, 10)
    run = delivery.send_run(run_id=run.pk, now=now)
    assert run.status == "pending" and "/nowhere/NanumGothic.ttf" in run.error
    run = delivery.send_run(run_id=run.pk, now=now + timedelta(minutes=1))
    assert run.status == "failed" and run.error.startswith("ReportFontMissing:")
    assert not smtp_server.messages and run.pdf_path == ""


def test_a_new_run_whose_queue_message_was_lost_is_queued_again(db, time_machine):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily")
    run = services.send_now(actor=SYSTEM, schedule_pk=schedule.pk)  # queued after commit
    assert dispatch.due_runs(now=seoul(2026, 11, 20, 10, 5)) == []  # still in the queue
    assert dispatch.due_runs(now=seoul(2026, 11, 20, 10, 11)) == [run.pk]


def test_renaming_a_due_schedule_keeps_its_run(db, time_machine, smtp_server,
                                               django_capture_on_commit_callbacks):
    time_machine.move_to(seoul(2026, 11, 20, 10), tick=False)
    schedule = make_schedule(frequency="daily", hour=9, recipients=["a@example.com"])
    time_machine.move_to(seoul(2026, 11, 21, 9, 0, 20), tick=False)  # due, not started yet
    services.save_schedule(actor=SYSTEM, schedule_pk=schedule.pk, data=services.ScheduleInput(
        name="새 이름", frequency="daily", hour=9, recipients=["a@example.com"]))
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_reports_task() == 1
    assert len(smtp_server.messages) == 1
    # changing the hour moves the next run
    services.save_schedule(actor=SYSTEM, schedule_pk=schedule.pk, data=services.ScheduleInput(
        name="새 이름", frequency="daily", hour=7, recipients=["a@example.com"]))
    schedule.refresh_from_db()
    assert schedule.next_run_at == seoul(2026, 11, 22, 7)
