"""Background work of the cases app (thin: take ids, call a service)."""

import smtplib

from celery import shared_task

from dangol.cases import notifications
from dangol.cases.services import automation
from dangol.feedback.services import analyse_survey_response


@shared_task(acks_late=True)
def open_cases_from_text_task(response_pk: int) -> int:
    """Analyse the response's written answers (if not done yet), then open the cases
    that negative-text rules call for. Safe to run twice."""
    analyse_survey_response(response_pk=response_pk)
    return len(automation.open_cases_for_text(response_pk=response_pk))


@shared_task(acks_late=True)
def escalate_overdue_cases_task() -> int:
    """Escalate overdue cases and mail their assignees (or the admins)."""
    escalated = automation.escalate_overdue_cases()
    for case_pk in escalated:
        send_escalation_mail_task.delay(case_pk)
    return len(escalated)


@shared_task(acks_late=True)
def send_case_followups_task() -> int:
    """Invite customers of resolved cases to their follow-up survey when it is due."""
    return len(automation.send_due_followups())


@shared_task(acks_late=True, autoretry_for=(smtplib.SMTPException, OSError),
             retry_backoff=60, max_retries=8)
def send_escalation_mail_task(case_pk: int) -> int:
    return notifications.send_escalation_mail(case_pk=case_pk)
