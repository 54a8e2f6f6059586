"""Sending queued messages and recording what providers report back.

A message is claimed (status ``sending``) in a short transaction under a row
lock, sent outside any transaction, and the outcome written in another short
transaction. A second run for the same message finds it no longer queued and
does nothing, so a sent message is never sent again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dangol.engagement import compliance
from dangol.engagement.channels import SendFailed, Sent
from dangol.engagement.mail import send_email
from dangol.engagement.models import BlockReason, Channel, Message, MessageEvent, Purpose, Status
from dangol.engagement.providers import REFERENCE_PREFIX, get_provider
from dangol.engagement.selectors import STALE_SENDING

logger = logging.getLogger(__name__)

# Waits before retry 1, 2, 3, …; after the last the message has failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1


def retry_delay(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def deliver_message(*, message_id: int, now: datetime | None = None) -> Message | None:
    """Send one queued message whose time has come; record sent, retry or failed.

    Safe to run twice or concurrently: only the run that claims the message under
    its row lock sends it. Ads are checked again at send time: a withdrawn consent
    blocks them, quiet hours postpone them to the morning. Returns the message, or
    None when there is no such message.
    """
    now = now or timezone.now()
    message, claimed = _claim(message_id, now)
    if message is None or not claimed:
        return message
    try:
        sent = _send(message)
    except SendFailed as error:
        return _record_failure(message, error, now)
    return _record_sent(message, sent, now)


@transaction.atomic
def _claim(message_id: int, now: datetime) -> tuple[Message | None, bool]:
    """Mark the message ``sending`` if it is due; returns it and whether this run claimed it."""
    message = Message.objects.select_for_update().select_related("customer").filter(
        pk=message_id).first()
    if message is None:
        return None, False
    stale = message.status == Status.SENDING and message.updated_at < now - STALE_SENDING
    due = message.status == Status.QUEUED and (message.next_attempt_at is None
                                               or message.next_attempt_at <= now)
    if not (due or stale):
        return message, False
    if message.purpose == Purpose.AD:
        reason = compliance.contact_block(customer=message.customer, channel=message.channel,
                                          purpose=message.purpose, at=now)
        if reason == BlockReason.NIGHT_TIME:
            message.status = Status.QUEUED
            message.next_attempt_at = compliance.next_daytime(now, message.to_address,
                                                              message.channel)
            _save(message, now, str(reason.label))
            return message, False
        if reason is not None:
            message.status = Status.BLOCKED
            message.block_reason = reason
            message.next_attempt_at = None
            _save(message, now, str(reason.label))
            return message, False
    message.status = Status.SENDING
    message.attempts += 1
    message.next_attempt_at = None
    _save(message, now, "")
    return message, True


def _send(message: Message) -> Sent:
    try:
        if message.channel == Channel.EMAIL:
            return send_email(message)
        return get_provider().send(message)
    except SendFailed:
        raise
    except Exception as error:
        # A bug or a surprise from a library must not leave the message "sending"
        # forever: it is retried like a transient failure, then fails, with the error.
        logger.exception("sending message %s failed unexpectedly", message.pk)
        raise SendFailed(f"{type(error).__name__}: {error}", permanent=False) from error


@transaction.atomic
def _record_sent(message: Message, sent: Sent, now: datetime) -> Message:
    current = Message.objects.select_for_update().get(pk=message.pk)
    if current.status != Status.SENDING:
        # A delivery report arrived before this write; it already knows more.
        current.provider = sent.provider
        current.provider_message_id = current.provider_message_id or sent.provider_message_id
        current.sent_at = current.sent_at or now
        current.save(update_fields=["provider", "provider_message_id", "sent_at",
                                    "updated_at"])
        return current
    current.status = Status.SENT
    current.provider = sent.provider
    current.provider_message_id = sent.provider_message_id
    current.sent_at = now
    current.error = ""
    _save(current, now, sent.provider_message_id)
    return current


@transaction.atomic
def _record_failure(message: Message, error: SendFailed, now: datetime) -> Message:
    current = Message.objects.select_for_update().get(pk=message.pk)
    current.error = error.detail[:2000]
    if error.permanent or current.attempts >= MAX_ATTEMPTS:
        current.status = Status.FAILED
        current.failed_at = now
        current.next_attempt_at = None
    else:
        current.status = Status.QUEUED
        current.next_attempt_at = now + retry_delay(current.attempts)
    _save(current, now, current.error)
    return current


def _save(message: Message, now: datetime, detail: str) -> None:
    message.save()
    MessageEvent.objects.create(message=message, status=message.status, at=now, detail=detail)


# --- delivery reports ------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    message: Message
    changed: bool


FINAL = {Status.DELIVERED, Status.FAILED}


@transaction.atomic
def record_delivery_report(*, provider: str, provider_message_id: str, delivered: bool,
                           reference: str = "", detail: str = "",
                           at: datetime | None = None) -> ReportOutcome | None:
    """Move the message a provider reports on to delivered or failed.

    The message is found by the provider's id, or by our ``reference``
    (``dangol-<id>``) when the report overtakes the send's own record. Takes the
    message's row lock. A repeated report, or one about a message already
    delivered or failed, changes nothing. Returns None when no message matches.
    """
    at = at or timezone.now()
    messages = Message.objects.select_for_update()
    message = messages.filter(provider=provider, provider_message_id=provider_message_id,
                              ).exclude(provider_message_id="").first()
    if message is None and reference.startswith(REFERENCE_PREFIX):
        number = reference.removeprefix(REFERENCE_PREFIX)
        if number.isdigit():
            message = messages.filter(pk=int(number), status__in=[
                Status.SENDING, Status.SENT, Status.DELIVERED, Status.FAILED]).exclude(
                channel=Channel.EMAIL).first()
    if message is None:
        return None
    if message.status in FINAL:
        return ReportOutcome(message, changed=False)
    if delivered:
        message.status = Status.DELIVERED
        message.delivered_at = at
    else:
        message.status = Status.FAILED
        message.failed_at = at
        message.error = detail[:2000]
    message.next_attempt_at = None
    _save(message, at, detail)
    return ReportOutcome(message, changed=True)
