"""Sending one report run: make its PDF, keep it, mail it to each recipient.

A run is claimed (status ``sending`` with a lease) in a short transaction under
its row lock; the PDF and the mail are made outside any transaction. Each
recipient reached is written down at once with the Message-ID sent, so a retry
mails only the others. On an SMTP or network error the run waits for its next
attempt (1, 5, 15, 60 … minutes later; the scheduler's job queues it again) and
after ``REPORT_MAX_ATTEMPTS`` attempts it is failed with the error. A sender that
stops mid-way leaves the run ``sending``; once its lease has passed the
scheduler's job hands it to another worker.
"""

from __future__ import annotations

import logging
import os
import smtplib
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.reports import pdf, selectors, timing
from dangol.reports.models import ReportRun, ReportSchedule, RunStatus, Section

logger = logging.getLogger(__name__)

RETRY_MINUTES = (1, 5, 15, 60, 180)


def max_attempts() -> int:
    return int(getattr(settings, "REPORT_MAX_ATTEMPTS", 5))


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "REPORT_LEASE_SECONDS", 600)))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1])


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def render_pdf(schedule: ReportSchedule, period: timing.Period,
               now: datetime | None = None) -> bytes:
    """The schedule's report for ``period`` as PDF bytes, in the schedule's language."""
    return _render(schedule, period, now)[0]


def _render(schedule: ReportSchedule, period: timing.Period,
            now: datetime | None) -> tuple[bytes, dict[str, Any]]:
    data = selectors.report_data(schedule=schedule, period=period, now=now)
    with translation.override(schedule.language):
        return pdf.render_report(data), headline(data)


def headline(data: selectors.ReportData) -> dict[str, Any]:
    """The few figures an e-mail's text repeats: NPS now and before, responses, CSAT,
    open and overdue cases (None where the report has no such figure)."""
    current, before = data.current, data.before
    figures: dict[str, Any] = {}
    if Section.SUMMARY in data.sections:
        figures.update(
            nps=round(current.nps.score, 1) if current.nps else None,
            nps_before=round(before.nps.score, 1) if before.nps else None,
            responses=current.responses, responses_before=before.responses,
            csat=round(current.csat.mean, 2) if current.csat else None)
    if data.cases is not None:
        figures.update(open_cases=data.cases.open_now, overdue_cases=data.cases.overdue_now,
                       sla_breaches=data.cases.sla_breaches)
    return figures


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,}"


def headline_lines(figures: dict[str, Any]) -> list[str]:
    """The headline as lines of text in the active language."""
    lines = []
    if "nps" in figures:
        lines.append(_("NPS: %(now)s (previous period: %(before)s)") % {
            "now": _number(figures["nps"]), "before": _number(figures["nps_before"])})
        lines.append(_("Completed responses: %(now)s (previous period: %(before)s)") % {
            "now": _number(figures["responses"]), "before": _number(figures["responses_before"])})
        if figures.get("csat") is not None:
            lines.append(_("CSAT: %(mean)s of 5") % {"mean": figures["csat"]})
    if "open_cases" in figures:
        lines.append(_("Open cases: %(open)s, overdue: %(overdue)s, SLA breaches in the "
                       "period: %(breaches)s") % {
            "open": figures["open_cases"], "overdue": figures["overdue_cases"],
            "breaches": figures["sla_breaches"]})
    return lines


def pdf_filename(run: ReportRun) -> str:
    return f"dangol-report-{run.schedule_id}-{run.period_start:%Y%m%d}-{run.pk}.pdf"


def stored_pdf(run: ReportRun) -> Path | None:
    if not run.pdf_path:
        return None
    path = Path(settings.DATA_DIR) / run.pdf_path
    return path if path.is_file() else None


def remove_pdfs(relative_paths: list[str]) -> None:
    """Delete stored PDFs (of deleted runs); a file already gone is no error."""
    base = Path(settings.DATA_DIR)
    for relative in relative_paths:
        (base / relative).unlink(missing_ok=True)


def _store(run: ReportRun, content: bytes) -> str:
    """Write the PDF under DATA_DIR/reports/ (atomically: a reader never sees half)."""
    relative = Path("reports") / f"schedule-{run.schedule_id}" / pdf_filename(run)
    path = Path(settings.DATA_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return str(relative)


def _claim(run_id: int, now: datetime) -> ReportRun | None:
    with transaction.atomic():
        run = (ReportRun.objects.select_for_update().select_related("schedule")
               .filter(pk=run_id).first())
        if run is None:
            return None
        due = run.status == RunStatus.PENDING and (run.next_attempt_at is None
                                                   or run.next_attempt_at <= now)
        abandoned = (run.status == RunStatus.SENDING and run.claimed_until is not None
                     and run.claimed_until < now)
        if not (due or abandoned):
            return None
        if abandoned and run.attempts >= max_attempts():
            run.status = RunStatus.FAILED
            run.error = run.error or _("The sender stopped before finishing.")
            run.claimed_until = None
            run.save(update_fields=["status", "error", "claimed_until", "updated_at"])
            return None
        run.status = RunStatus.SENDING
        run.attempts += 1
        run.claimed_until = now + lease()
        run.save(update_fields=["status", "attempts", "claimed_until", "updated_at"])
    return run


def _subject(run: ReportRun) -> str:
    schedule = run.schedule
    return _("[Dangol] %(report)s: %(name)s (%(period)s)") % {
        "report": pdf.ReportLayout.title_for(schedule.frequency), "name": schedule.name,
        "period": pdf.period_label(run.period)}


def _body(run: ReportRun) -> str:
    schedule = run.schedule
    link = f"{settings.DANGOL_PUBLIC_URL.rstrip('/')}/reports/{schedule.pk}/"
    figures = "\n".join(f"- {line}" for line in headline_lines(run.headline))
    return "\n\n".join([
        _("Hello,"),
        _("Attached is the report \"%(name)s\" for %(period)s as a PDF.") % {
            "name": schedule.name, "period": pdf.period_label(run.period)},
        *([figures] if figures else []),
        _("The schedule and earlier reports: %(link)s") % {"link": link},
        _("You receive this report because a Dangol administrator added your address to it."),
        "— Dangol 단골",
    ]) + "\n"


def _send_mail(run: ReportRun, content: bytes) -> None:
    """Mail the PDF to each recipient not mailed yet; writes down each success at once."""
    schedule = run.schedule
    sender = settings.DEFAULT_FROM_EMAIL
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    with translation.override(schedule.language):
        subject, body = _subject(run).replace("\n", " "), _body(run)
    pending = [r for r in schedule.recipients if r not in run.message_ids]
    if not pending:
        return
    with get_connection() as connection:
        for recipient in pending:
            message_id = make_msgid(domain=domain)
            message = EmailMessage(subject=subject, body=body, from_email=sender,
                                   to=[recipient], connection=connection,
                                   headers={"Message-ID": message_id})
            message.attach(pdf_filename(run), content, "application/pdf")
            message.send()
            run.message_ids = {**run.message_ids, recipient: message_id}
            ReportRun.objects.filter(pk=run.pk).update(message_ids=run.message_ids,
                                                       updated_at=timezone.now())


def send_run(*, run_id: int, now: datetime | None = None) -> ReportRun | None:
    """Make and mail run ``run_id`` if it is due; safe to run twice and concurrently.

    Returns the run as left (sent, waiting for a retry, or failed), or None when this
    call did not claim it (not due, already sent, or another worker has it).
    """
    now = now or timezone.now()
    run = _claim(run_id, now)
    if run is None:
        return None
    try:
        path = stored_pdf(run)
        if path is None:
            content, run.headline = _render(run.schedule, run.period, now)
            run.pdf_path = _store(run, content)
            run.pdf_size = len(content)
            ReportRun.objects.filter(pk=run.pk).update(pdf_path=run.pdf_path,
                                                       pdf_size=run.pdf_size,
                                                       headline=run.headline)
        else:
            content = path.read_bytes()
        _send_mail(run, content)
    except (smtplib.SMTPException, OSError, pdf.ReportFontMissing) as error:
        return _failed(run, f"{type(error).__name__}: {error}", now)
    except Exception as error:  # a report that cannot be made must not vanish silently
        logger.exception("report run %s could not be made", run.pk)
        return _failed(run, f"{type(error).__name__}: {error}", now)
    run.status = RunStatus.SENT
    run.sent_at = timezone.now()
    run.error = ""
    run.claimed_until = None
    run.next_attempt_at = None
    run.save(update_fields=["status", "sent_at", "error", "claimed_until", "next_attempt_at",
                            "updated_at"])
    return run


def _failed(run: ReportRun, error: str, now: datetime) -> ReportRun:
    run.error = error[:2000]
    run.claimed_until = None
    if run.attempts >= max_attempts():
        run.status = RunStatus.FAILED
        run.next_attempt_at = None
    else:
        run.status = RunStatus.PENDING
        run.next_attempt_at = now + retry_delay(run.attempts)
    run.save(update_fields=["status", "error", "claimed_until", "next_attempt_at",
                            "updated_at"])
    logger.warning("report run %s attempt %s failed: %s", run.pk, run.attempts, error)
    return run
