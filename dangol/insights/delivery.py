"""Sending alerts: e-mail (Django's backend), Slack incoming webhooks and signed webhooks.

Each destination of an alert is one AlertDelivery row. An attempt is claimed
with a conditional update (so two workers never send the same attempt), and
its outcome recorded: sent, or retried with backoff, or failed after
``MAX_ATTEMPTS``. A sweep every minute sends what is due, so an alert is not
lost when a receiver or the mail server is down or a worker stops.
"""

from __future__ import annotations

import json
import logging
import random
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from dangol.insights.models import AlertDelivery, DeliveryStatus, Destination
from dangol.insights.texts import describe
from dangol.webhooks import dispatch as webhook_dispatch
from dangol.webhooks import signing, transport

logger = logging.getLogger(__name__)

RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=8)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # about 10.5 hours from the first attempt
JITTER = 0.2
LEASE = timedelta(minutes=5)
ERROR_LENGTH = 500
SWEEP_BATCH = 200
USER_AGENT = "Dangol-Alerts/1"


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after ``attempts`` failed attempts, with jitter; None when giving up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""


def _link(event_rule_pk: int) -> str:
    return settings.DANGOL_PUBLIC_URL.rstrip("/") + reverse("insights:rule",
                                                             args=[event_rule_pk])


def _send_email(delivery: AlertDelivery) -> Outcome:
    event = delivery.event
    subject, body = describe(event, event.rule.language)
    message = EmailMessage(subject=subject, body=body + "\n\n" + _link(event.rule_id) + "\n",
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[delivery.target],
                           headers={"Auto-Submitted": "auto-generated"},
                           connection=get_connection(fail_silently=False))
    try:
        message.send()
    except (smtplib.SMTPException, OSError, ValueError) as error:
        return Outcome(False, None, f"{type(error).__name__}: {error}")
    return Outcome(True)


def slack_body(delivery: AlertDelivery) -> bytes:
    subject, body = describe(delivery.event, delivery.event.rule.language)
    text = f"*{subject}*\n{body}\n{_link(delivery.event.rule_id)}"
    return json.dumps({"text": text}, ensure_ascii=False).encode()


def webhook_body(delivery: AlertDelivery) -> bytes:
    """The signed JSON body: the same bytes on every attempt."""
    document = {"id": str(delivery.uid), **delivery.event.payload,
                "fired_at": delivery.event.fired_at.isoformat()}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


def webhook_headers(delivery: AlertDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    """Standard Webhooks headers, signed with the rule's secret (as dangol.webhooks does)."""
    msg_id = str(delivery.uid)
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            "webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.sign(secret=delivery.event.rule.webhook_secret,
                                              msg_id=msg_id, timestamp=timestamp, body=body)}


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    result = transport.post(url=url, body=body, headers=headers,
                            timeout=webhook_dispatch.timeout_seconds(),
                            allow_private=webhook_dispatch.allow_private_networks())
    return Outcome(result.ok, result.status, result.error)


def _send(delivery: AlertDelivery) -> Outcome:
    if delivery.kind == Destination.EMAIL:
        return _send_email(delivery)
    if delivery.kind == Destination.SLACK:
        return _post(delivery.target, slack_body(delivery),
                     {"Content-Type": "application/json", "User-Agent": USER_AGENT})
    body = webhook_body(delivery)
    return _post(delivery.target, body, webhook_headers(delivery, body, int(time.time())))


def _claim(delivery_pk: int, now: datetime) -> AlertDelivery | None:
    delivery = (AlertDelivery.objects.select_related("event__rule")
                .filter(pk=delivery_pk, status=DeliveryStatus.PENDING,
                        next_attempt_at__lte=now).first())
    if delivery is None:
        return None
    taken = AlertDelivery.objects.filter(
        pk=delivery_pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts,
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE, last_attempt_at=now)
    if not taken:
        return None
    delivery.attempts += 1
    return delivery


def attempt_delivery(*, delivery_pk: int, now: datetime | None = None) -> str:
    """Send delivery ``delivery_pk`` once if it is pending and due; record the outcome.

    Returns the delivery's status after the attempt, or "not due" when it was not
    ours to send (done, not yet due, or claimed by another worker). Never raises
    for a receiver's failure."""
    now = now or timezone.now()
    delivery = _claim(delivery_pk, now)
    if delivery is None:
        return "not due"
    outcome = _send(delivery)
    values: dict[str, object] = {"last_status_code": outcome.status_code,
                                 "last_error": outcome.error[:ERROR_LENGTH]}
    if outcome.ok:
        values.update(status=DeliveryStatus.SENT, delivered_at=timezone.now(),
                      next_attempt_at=None)
    else:
        delay = retry_delay(delivery.attempts)
        if delay is None:
            values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            values.update(next_attempt_at=now + delay)
        logger.info("alert delivery %s (%s) failed, attempt %s: %s", delivery.pk,
                    delivery.kind, delivery.attempts, outcome.error)
    AlertDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts,
                                 status=DeliveryStatus.PENDING).update(**values)
    return str(values.get("status", DeliveryStatus.PENDING))


def send_due_deliveries(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Attempt every pending delivery that is due, oldest first; returns how many were
    attempted. Safe to run concurrently (each attempt is claimed)."""
    now = now or timezone.now()
    due = list(AlertDelivery.objects.filter(status=DeliveryStatus.PENDING,
                                            next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(attempt_delivery(delivery_pk=pk, now=now) != "not due" for pk in due)
