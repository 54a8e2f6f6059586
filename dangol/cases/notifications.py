"""E-mail to staff about cases (an overdue case), through Django's e-mail backend.

Staff are not customers: these mails do not go through the customer outbox
(dangol.engagement), which applies the advertising law to customer messages.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.accounts.models import User
from dangol.accounts.permissions import Role
from dangol.cases.models import Case


def escalation_recipients(case: Case) -> list[User]:
    """The assignee when there is an active one, else every active admin and owner."""
    if case.assignee is not None and case.assignee.is_active:
        return [case.assignee]
    return list(User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.OWNER])
                .order_by("email"))


def send_escalation_mail(*, case_pk: int) -> int:
    """Tell the case's assignee (or the admins) that the case is overdue.

    Returns the number of recipients mailed (0 when the case is no longer open
    and escalated). Raises the e-mail backend's errors, so the task retries.
    """
    case = Case.objects.select_related("assignee", "customer").filter(pk=case_pk).first()
    if case is None or not case.is_open or case.escalated_at is None:
        return 0
    recipients = escalation_recipients(case)
    link = settings.DANGOL_PUBLIC_URL.rstrip("/") + reverse("cases:detail", args=[case.pk])
    sent = 0
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("Overdue case #%(id)s: %(subject)s") % {"id": case.pk,
                                                                "subject": case.subject}
            body = _("Case #%(id)s was due %(due)s and is not resolved yet.\n\n"
                     "%(subject)s\nPriority: %(priority)s\nStatus: %(status)s\n\n%(link)s\n") % {
                "id": case.pk, "subject": case.subject,
                "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M"),
                "priority": case.get_priority_display(), "status": case.get_status_display(),
                "link": link}
        EmailMessage(subject=subject.replace("\n", " "), body=body,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
                     headers={"Auto-Submitted": "auto-generated"}).send()
        sent += 1
    return sent
