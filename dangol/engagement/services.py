"""Writes for the messaging outbox: queueing messages and customers' opt-outs.

Every message to a customer goes through ``queue_message``. The law's checks
run there; a message the law forbids is kept with status ``blocked`` and the
reason, never silently dropped and never sent.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.customers.models import Channel as ConsentChannel
from dangol.customers.models import Consent, Customer
from dangol.customers.models import Purpose as ConsentPurpose
from dangol.customers.schemas import ConsentIn, CustomerIn
from dangol.customers.selectors import consents_by_customer, find_consent
from dangol.customers.services import upsert_customer
from dangol.engagement import compliance, tasks
from dangol.engagement.models import BlockReason, Channel, Message, MessageEvent, Purpose, Status
from dangol.engagement.tokens import unsubscribe_url

MAX_SUBJECT = 255
LANGUAGE = re.compile(r"[a-z]{2}(-[A-Za-z]{2,4})?")
HEADER_NAME = re.compile(
    r"X-[A-Za-z0-9-]{1,60}|Reply-To|List-Id|References|In-Reply-To|Auto-Submitted|Precedence")
BATCH_SIZE = 500
# Messages per delivery task: small enough to spread over workers, big enough that
# a campaign of a million is not a million tasks.
TASK_CHUNK = 100


def queue_message(
    *,
    customer: Customer,
    channel: str,
    purpose: str,
    body: str,
    subject: str = "",
    html_body: str | None = None,
    language: str | None = None,
    source: str = "",
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> Message:
    """Store a message for ``customer`` and send it after the caller's transaction commits.

    Call inside the caller's transaction. Queueing a ``dedupe_key`` again returns
    the first message unchanged. Ads get the label, sender details and opt-out the
    law asks for; a message the law forbids is stored ``blocked`` with its reason.
    Raises ValidationFailed for an unknown channel or purpose, an empty body, or an
    e-mail without subject.
    """
    _check_input(channel=channel, purpose=purpose, body=body, subject=subject,
                 source=source, dedupe_key=dedupe_key, language=language, headers=headers)
    if dedupe_key:
        existing = Message.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    consent = None
    if purpose == Purpose.AD:
        consent = find_consent(customer_id=customer.pk, channel=channel, purpose=Purpose.AD)
    message = _build(Draft(customer=customer, body=body, subject=subject, html_body=html_body,
                           language=language, dedupe_key=dedupe_key, headers=headers),
                     channel=channel, purpose=purpose, source=source, consent=consent, at=now)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another transaction queued the same key between our read and insert.
        first = Message.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if first is None:
            raise
        return first
    MessageEvent.objects.create(message=message, status=message.status, at=now,
                                detail=_event_detail(message))
    if message.status == Status.QUEUED:
        enqueue_after_commit(tasks.deliver_message_task, message.pk)
    return message


def send_message(*, actor: Actor, customer_external_id: str, channel: str, purpose: str,
                 body: str, subject: str = "", html_body: str | None = None,
                 language: str | None = None, source: str = "api",
                 dedupe_key: str | None = None) -> tuple[bool, Message]:
    """``queue_message`` for a staff member or API key holding ``engagement.send``.

    Returns (created, message); created is False when ``dedupe_key`` was queued
    before. Writes an audit row for a new message. Raises PermissionDenied,
    NotFound for an unknown customer, ValidationFailed.
    """
    require(actor, "engagement.send")
    customer = Customer.objects.filter(external_id=customer_external_id).first()
    if customer is None:
        raise NotFound(_("No customer with ID %(id)s.") % {"id": customer_external_id})
    with transaction.atomic():
        before = Message.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if before is not None:
            return False, before
        message = queue_message(customer=customer, channel=channel, purpose=purpose, body=body,
                                subject=subject, html_body=html_body, language=language,
                                source=source, dedupe_key=dedupe_key)
        record_audit(actor=actor, action="create", obj=message,
                     fields=["channel", "purpose", "status"])
    return True, message


@dataclass(frozen=True)
class Draft:
    """One message of a batch for ``queue_messages``; the fields of ``queue_message``."""

    customer: Customer
    body: str
    subject: str = ""
    html_body: str | None = None
    language: str | None = None
    dedupe_key: str | None = None
    headers: dict[str, str] | None = None


def queue_messages(*, channel: str, purpose: str, drafts: Sequence[Draft],
                   source: str = "") -> list[Message]:
    """Queue many messages on one channel for one purpose (a campaign, a survey wave).

    The same rules as ``queue_message`` in a fixed number of queries per batch: one
    read of existing dedupe keys, one of consents, one insert of messages and one of
    their events; delivery tasks take chunks of ids after commit. A key already
    queued (or repeated in the batch) returns the first message. Returns one message
    per draft, in order. Raises ValidationFailed naming ``drafts.<i>.<field>``;
    then nothing is stored.
    """
    problems: list[FieldProblem] = []
    for index, draft in enumerate(drafts):
        try:
            _check_input(channel=channel, purpose=purpose, body=draft.body,
                         subject=draft.subject, source=source, dedupe_key=draft.dedupe_key,
                         language=draft.language, headers=draft.headers)
        except ValidationFailed as error:
            problems.extend(FieldProblem(f"drafts.{index}.{p.field}", p.message)
                            for p in error.problems)
    if problems:
        raise ValidationFailed(problems, _("The messages cannot be queued."))
    keys = [d.dedupe_key for d in drafts if d.dedupe_key]
    known = {m.dedupe_key: m for m in Message.objects.filter(dedupe_key__in=keys)} if keys \
        else {}
    consents = {}
    if purpose == Purpose.AD:
        consents = consents_by_customer(customer_ids=[d.customer.pk for d in drafts],
                                        channel=channel, purpose=Purpose.AD)
    now = timezone.now()
    fresh: list[Message] = []
    result: list[Message] = []
    for draft in drafts:
        if draft.dedupe_key and draft.dedupe_key in known:
            result.append(known[draft.dedupe_key])
            continue
        message = _build(draft, channel=channel, purpose=purpose, source=source,
                         consent=consents.get(draft.customer.pk), at=now)
        fresh.append(message)
        result.append(message)
        if draft.dedupe_key:
            known[draft.dedupe_key] = message
    try:
        with transaction.atomic():
            Message.objects.bulk_create(fresh, batch_size=BATCH_SIZE)
    except IntegrityError:
        # A concurrent batch queued some of the same keys: fall back to one at a time.
        return [queue_message(customer=d.customer, channel=channel, purpose=purpose,
                              body=d.body, subject=d.subject, html_body=d.html_body,
                              language=d.language, source=source, dedupe_key=d.dedupe_key,
                              headers=d.headers) for d in drafts]
    MessageEvent.objects.bulk_create(
        [MessageEvent(message=m, status=m.status, at=now, detail=_event_detail(m))
         for m in fresh], batch_size=BATCH_SIZE)
    queued = [m.pk for m in fresh if m.status == Status.QUEUED]
    for start in range(0, len(queued), TASK_CHUNK):
        enqueue_after_commit(tasks.deliver_messages_task, queued[start:start + TASK_CHUNK])
    return result


def _build(draft: Draft, *, channel: str, purpose: str, source: str,
           consent: Consent | None, at: datetime) -> Message:
    """An unsaved message for ``draft`` after the law's checks and additions."""
    customer = draft.customer
    message = Message(
        customer=customer, channel=channel, purpose=purpose,
        language=draft.language or customer.language or "ko", subject=draft.subject.strip(),
        body=draft.body, html_body=draft.html_body or "", headers=draft.headers or {},
        to_address=compliance.address_for(customer, channel), source=source,
        dedupe_key=draft.dedupe_key or None,
    )
    reason = compliance.contact_block_with(customer=customer, channel=channel,
                                           purpose=purpose, at=at, consent=consent)
    if reason is None and purpose == Purpose.AD:
        reason = _apply_ad_rules(message)
    if reason is not None:
        message.status = Status.BLOCKED
        message.block_reason = reason
    return message


def _event_detail(message: Message) -> str:
    return str(BlockReason(message.block_reason).label) if message.block_reason else ""


def _check_input(*, channel: str, purpose: str, body: str, subject: str, source: str,
                 dedupe_key: str | None, language: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
    problems = []
    if "\n" in subject or "\r" in subject:
        problems.append(FieldProblem("subject", _("One line, without line breaks.")))
    if language and not LANGUAGE.fullmatch(language):
        problems.append(FieldProblem("language", _("A language code such as ko or en.")))
    for name, value in (headers or {}).items():
        if not HEADER_NAME.fullmatch(str(name)) or "\n" in str(value) or "\r" in str(value):
            problems.append(FieldProblem(f"headers.{name}", _(
                "A header name of letters, digits and hyphens, and a one-line value.")))
    if channel not in Channel.values:
        problems.append(FieldProblem("channel", _("Use one of: %(values)s.")
                                     % {"values": ", ".join(Channel.values)}))
    if purpose not in Purpose.values:
        problems.append(FieldProblem("purpose", _("Use one of: %(values)s.")
                                     % {"values": ", ".join(Purpose.values)}))
    if not body.strip():
        problems.append(FieldProblem("body", _("A message needs a body.")))
    if channel == Channel.EMAIL and not subject.strip():
        problems.append(FieldProblem("subject", _("An e-mail needs a subject.")))
    if len(subject) > MAX_SUBJECT - len(compliance.AD_LABEL) - 1:
        problems.append(FieldProblem("subject", _("At most %(n)s characters.")
                                     % {"n": MAX_SUBJECT - len(compliance.AD_LABEL) - 1}))
    if len(source) > 64:
        problems.append(FieldProblem("source", _("At most %(n)s characters.") % {"n": 64}))
    if dedupe_key is not None and len(dedupe_key) > 200:
        problems.append(FieldProblem("dedupe_key", _("At most %(n)s characters.") % {"n": 200}))
    if problems:
        raise ValidationFailed(problems, _("The message cannot be queued."))


def _apply_ad_rules(message: Message) -> BlockReason | None:
    """Add the ad label, sender and opt-out to ``message``; the reason if that cannot be done."""
    try:
        if message.channel == Channel.EMAIL:
            content = compliance.email_ad_content(
                subject=message.subject, body=message.body, html_body=message.html_body,
                headers=message.headers, language=message.language,
                unsubscribe_url=unsubscribe_url(customer_id=message.customer_id,
                                                channel=message.channel),
            )
            message.subject = content.subject
            message.body = content.body
            message.html_body = content.html_body
            message.headers = content.headers
        else:
            message.body = compliance.label_text_ad(message.body)
    except compliance.AdContentError as error:
        return error.reason
    return None


# --- opt-outs ---------------------------------------------------------------------------


def withdraw_ad_consent(*, customer_id: int, channel: str, source: str) -> Customer:
    """Withdraw ``customer_id``'s advertising consent for ``channel`` (unsubscribe, STOP).

    Goes through the customers service, which records a ConsentEvent and an audit
    row, and tells the customer the result on the same channel (정보통신망법 §50⑦:
    the sender, the action and its date, the result). Idempotent: withdrawing
    again changes nothing and sends nothing. Raises NotFound.
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    actor = Actor(label=source)
    data = CustomerIn(external_id=customer.external_id, consents=[
        ConsentIn(channel=ConsentChannel(channel), purpose=ConsentPurpose.AD, granted=False,
                  source=source)])
    with transaction.atomic():
        result = upsert_customer(actor=actor, data=data)
        # Ads still waiting in the outbox must not go out after the opt-out.
        _block_waiting_ads(customer_id=customer.pk, channel=channel)
        if "consents" in result.changed_fields:
            _queue_withdrawal_notice(customer=customer, channel=channel)
    return customer


def _queue_withdrawal_notice(*, customer: Customer, channel: str) -> Message:
    today = timezone.localdate()
    language = "en" if customer.language.startswith("en") else "ko"
    with translation.override(language):
        values = {"sender": compliance.sender()["name"] or "Dangol",
                  "date": today.isoformat(), "channel": Channel(channel).label}
        subject = _("%(sender)s: advertising opt-out done") % values
        body = _("%(sender)s received your request of %(date)s to stop advertising by "
                 "%(channel)s. Done: you will no longer receive it.") % values
    return queue_message(
        customer=customer, channel=channel, purpose=Purpose.TRANSACTIONAL, subject=subject,
        body=body, language=language, source="consent_notice",
        dedupe_key=f"consent-notice:{customer.pk}:{channel}:{today.isoformat()}")


def _block_waiting_ads(*, customer_id: int, channel: str) -> None:
    waiting = list(Message.objects.select_for_update().filter(
        customer_id=customer_id, channel=channel, purpose=Purpose.AD, status=Status.QUEUED))
    now = timezone.now()
    for message in waiting:
        message.status = Status.BLOCKED
        message.block_reason = BlockReason.CONSENT_WITHDRAWN
        message.next_attempt_at = None
        message.updated_at = now
    Message.objects.bulk_update(waiting, ["status", "block_reason", "next_attempt_at",
                                          "updated_at"])
    MessageEvent.objects.bulk_create([
        MessageEvent(message=m, status=Status.BLOCKED, at=now,
                     detail=str(BlockReason.CONSENT_WITHDRAWN.label)) for m in waiting])
