"""Replies to the customer of a case over their channel (e-mail, SMS, KakaoTalk).

A reply answers the customer's own complaint: it is a transactional message,
not an advertisement, and goes through the messaging outbox like every other
message to a customer (which still refuses a channel without an address).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.cases.models import EventKind, Status
from dangol.cases.services.cases import WORK, _clean_text, _invalid, _lock
from dangol.cases.services.events import record_event
from dangol.engagement.models import Channel, Message, Purpose
from dangol.engagement.services import queue_message

MAX_BODY = 2000


def reply_to_customer(*, actor: Actor, case_pk: int, channel: str, body: str,
                      subject: str = "") -> Message:
    """Queue a reply to the case's customer; it is sent after commit.

    Counts as the first response; a new case becomes open. Raises
    PermissionDenied, NotFound, ValidationFailed naming ``channel``, ``subject``
    or ``body`` (or ``customer`` for a case without one).
    """
    require(actor, WORK)
    if channel not in Channel.values:
        raise _invalid("channel", _("Choose a channel: %(choices)s.")
                       % {"choices": ", ".join(Channel.values)})
    body = _clean_text(body, "body", required=True, limit=MAX_BODY)
    subject = _clean_text(subject, "subject", required=False, limit=200)
    if channel == Channel.EMAIL and not subject:
        raise _invalid("subject", _("An e-mail needs a subject."))
    with transaction.atomic():
        case = _lock(case_pk)
        if case.customer is None:
            raise _invalid("customer", _("This case has no customer to reply to."))
        message = queue_message(customer=case.customer, channel=channel,
                                purpose=Purpose.TRANSACTIONAL, body=body, subject=subject,
                                language=case.customer.language or None,
                                source=f"case:{case.pk}")
        now = timezone.now()
        fields = ["updated_at"]
        if case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
        if case.status == Status.NEW:
            case.status = Status.OPEN
            fields.append("status")
        case.save(update_fields=fields)
        record_event(case, kind=EventKind.REPLY, actor=actor, new=f"{channel}:{message.pk}",
                     detail=(subject + "\n\n" + body) if subject else body)
        record_audit(actor=actor, action="create", obj=message, fields=["channel", "body"])
    return message
