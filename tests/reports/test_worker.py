"""A real Celery worker starts a due report, makes its PDF and mails it."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from dangol.reports.models import ReportRun, ReportSchedule
from dangol.reports.tasks import start_due_reports_task
from tests.fixtures_worker import start_worker, stop_worker, wait_for
from tests.reports.conftest import make_schedule

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The worker and this process share the data folder (its file queue lives there).
DATA_DIR = django_settings.DATA_DIR


def test_the_worker_sends_a_due_report(settings, file_queue, smtp_server):
    settings.DATA_DIR = DATA_DIR
    schedule = make_schedule(frequency="daily", hour=9, recipients=["boss@example.com"])
    ReportSchedule.objects.filter(pk=schedule.pk).update(
        next_run_at=timezone.now() - timedelta(minutes=1))
    start_due_reports_task.delay()
    assert not ReportRun.objects.exists()  # nothing happens before a worker takes the task
    worker = start_worker(env={"DANGOL_EMAIL_HOST": smtp_server.host,
                               "DANGOL_EMAIL_PORT": str(smtp_server.port)})
    try:
        wait_for(lambda: ReportRun.objects.filter(status="sent").exists(), worker)
    finally:
        stop_worker(worker)
    run = ReportRun.objects.get()
    assert run.schedule == schedule and run.attempts == 1 and run.pdf_size > 0
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["boss@example.com"]
    assert run.message_ids == {"boss@example.com": mail["Message-ID"]}
    (attachment,) = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    (DATA_DIR / run.pdf_path).unlink()
