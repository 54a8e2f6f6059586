"""Sending deliveries: claim one, POST it signed, record the answer, schedule a retry.

Services for the delivery tasks. A delivery is claimed with one conditional
UPDATE (pending, due, and still at the attempt count that was read), so two
workers never send the same attempt, and no row lock is held while the HTTP
request runs. The claim pushes ``next_attempt_at`` past the request timeout:
if the worker dies mid-request, the delivery becomes due again by itself.
"""

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangol.webhooks import transport
from dangol.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from dangol.webhooks.signing import sign

logger = logging.getLogger(__name__)

# Wait after the n-th failed attempt (Standard Webhooks advises an exponential
# schedule over several days); after the last one the delivery is given up.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # about 2.8 days from the first attempt
JITTER = 0.2  # each wait is stretched or shrunk by up to 20%
DEFAULT_TIMEOUT_SECONDS = 10
SWEEP_BATCH = 500
SWEEP_BUDGET_SECONDS = 45  # the sweep runs every minute; leave room before the next
ERROR_LENGTH = 500
USER_AGENT = "Dangol-Webhooks/1"


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def allow_private_networks() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", True))


def lease() -> timedelta:
    """How long a claimed attempt keeps others away: longer than any request can take."""
    return timedelta(seconds=timeout_seconds() * 3 + 60)


def retry_delay(*, attempts: int, retry_after: int | None = None) -> timedelta | None:
    """The wait after ``attempts`` failed attempts, with jitter; None once it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        # A receiver under load may ask for a longer pause, never for a faster retry.
        delay = max(delay, min(timedelta(seconds=retry_after), RETRY_DELAYS[-1]))
    return delay


def request_body(event: Event) -> bytes:
    """The JSON body sent for ``event``: the same bytes on every attempt and replay."""
    document = {
        "id": str(event.uid),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def request_headers(*, endpoint: Endpoint, event: Event, body: bytes,
                    timestamp: int) -> dict[str, str]:
    msg_id = str(event.uid)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=endpoint.secret, msg_id=msg_id, timestamp=timestamp,
                                  body=body),
    }


@dataclass(frozen=True)
class AttemptOutcome:
    sent: bool  # False when the delivery was not due, taken by another worker, or done
    ok: bool = False
    status: str = ""


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take the next attempt of a due delivery, or None if it is not ours to send."""
    delivery = (Delivery.objects.select_related("event", "endpoint")
                .filter(pk=delivery_id, status=DeliveryStatus.PENDING,
                        next_attempt_at__lte=now, endpoint__active=True).first())
    if delivery is None:
        return None
    taken = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, attempts=delivery.attempts,
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + lease(), last_attempt_at=now)
    if not taken:
        return None
    delivery.attempts += 1
    return delivery


def attempt_delivery(*, delivery_id: int, now: datetime | None = None) -> AttemptOutcome:
    """Send delivery ``delivery_id`` once if it is pending and due; record what happened.

    Safe to run twice and from several workers: only the one whose conditional
    update claims the attempt sends it. A 2xx answer marks it delivered; any
    other answer or a network error schedules the next attempt with backoff, or
    gives up after MAX_ATTEMPTS. A 410 Gone disables the endpoint. Never raises
    for receiver failures.
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return AttemptOutcome(sent=False)
    body = request_body(delivery.event)
    headers = request_headers(endpoint=delivery.endpoint, event=delivery.event, body=body,
                              timestamp=int(time.time()))
    result = transport.post(url=delivery.endpoint.url, body=body, headers=headers,
                            timeout=timeout_seconds(), allow_private=allow_private_networks())
    return _record(delivery, result, now)


def _record(delivery: Delivery, result: transport.PostResult, now: datetime) -> AttemptOutcome:
    values: dict[str, object] = {"last_status_code": result.status,
                                 "last_error": result.error[:ERROR_LENGTH],
                                 "updated_at": timezone.now()}
    if result.ok:
        values.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif result.status == 410:
        values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        delay = retry_delay(attempts=delivery.attempts, retry_after=result.retry_after)
        if delay is None:
            values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            values.update(next_attempt_at=now + delay)
    with transaction.atomic():
        # Only the claimant's attempt is recorded: the attempt count still matches.
        Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts,
                                status=DeliveryStatus.PENDING).update(**values)
        if result.status == 410:
            Endpoint.objects.filter(pk=delivery.endpoint_id).update(
                active=False, disabled_reason="410 Gone", updated_at=timezone.now())
    if not result.ok:
        logger.info("webhook delivery %s to %s failed (attempt %s): %s", delivery.pk,
                    delivery.endpoint.url, delivery.attempts, result.error)
    return AttemptOutcome(sent=True, ok=result.ok, status=str(values.get("status", "pending")))


@dataclass
class SweepResult:
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped_endpoints: int = 0


def send_due_deliveries(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepResult:
    """Attempt every pending delivery that is due (oldest due first), up to ``limit``.

    Run by the scheduler every minute, so deliveries left behind by a stopped
    worker or a receiver that was down are sent. After one failure to reach an
    endpoint, the rest of its deliveries wait for the next sweep, so one dead
    receiver cannot use up the sweep. Safe to run concurrently.
    """
    now = now or timezone.now()
    started = time.monotonic()
    due = list(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                                       endpoint__active=True)
               .order_by("next_attempt_at", "id").values_list("id", "endpoint_id")[:limit])
    result = SweepResult()
    unreachable: set[int] = set()
    for delivery_id, endpoint_id in due:
        if endpoint_id in unreachable:
            continue
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        outcome = attempt_delivery(delivery_id=delivery_id, now=now)
        if not outcome.sent:
            continue
        result.attempted += 1
        if outcome.ok:
            result.succeeded += 1
        else:
            result.failed += 1
            unreachable.add(endpoint_id)
    result.skipped_endpoints = len(unreachable)
    return result
