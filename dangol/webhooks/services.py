"""Writes for webhooks: publishing events (the outbox), endpoints, replays and test sends.

Other apps call ``publish`` inside their own transaction, and declare their event
types once with ``register_event_type`` (in their AppConfig.ready).
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnreachable

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.webhooks import dispatch, events, tasks, transport
from dangol.webhooks.events import register_event_type as register_event_type  # for other apps
from dangol.webhooks.models import Delivery, DeliveryKind, Endpoint, Event
from dangol.webhooks.signing import generate_secret

logger = logging.getLogger(__name__)

PERMISSION = "webhooks.manage"
URL_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 200
REPLAY_BATCH = 1000

_url_validator = URLValidator(schemes=["http", "https"])


# --- publishing -----------------------------------------------------------------------


@dataclass(frozen=True)
class _QueueOrWait:
    """Queues ``task``; with the broker unreachable the send waits for the next sweep
    instead of failing the producer's request after its change has committed."""

    task: Any

    def delay(self, *args: Any, **kwargs: Any) -> None:
        try:
            self.task.delay(*args, **kwargs)
        except BrokerUnreachable as error:
            logger.warning("webhook send not queued (%s); the sweep will send it", error)


def _as_json(payload: dict[str, Any]) -> dict[str, Any]:
    # Stored as plain JSON so every attempt and replay sends identical bytes.
    data: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return data


def publish(*, event_type: str, payload: dict[str, Any],
            occurred_at: datetime | None = None) -> Event:
    """Record event ``event_type`` and one pending Delivery per active endpoint that wants it.

    Call inside the producer's transaction: the Event and its Delivery rows are
    written in it (the outbox) and the sends are queued only after it commits,
    so a rolled-back change sends nothing and a committed one is never lost
    (deliveries wait, pending, while the receiver or the worker is down).
    Payloads go to outside systems: send identifiers and the fields receivers
    need, not whole customer profiles. No row lock is taken. Raises ValueError
    for a malformed type and TypeError for a payload that is not JSON.
    """
    if not events.TYPE_PATTERN.match(event_type):
        raise ValueError(f"event type {event_type!r} is not dot-separated [a-zA-Z0-9_] words")
    if not isinstance(payload, dict):
        raise TypeError("payload must be a dict")
    data = _as_json(payload)
    if not events.is_known(event_type):
        logger.warning("event type %s is not registered; only endpoints on * receive it",
                       event_type)
    now = timezone.now()
    # No savepoint: the event belongs to the producer's transaction, which fails
    # with it (this runs inside every survey submission and ledger change).
    with transaction.atomic(savepoint=False):
        event = Event.objects.create(type=event_type, payload=data,
                                     occurred_at=aware(occurred_at) if occurred_at else now)
        endpoints = [e for e in Endpoint.objects.filter(active=True) if e.wants(event_type)]
        deliveries = Delivery.objects.bulk_create(
            [Delivery(event=event, endpoint=e, next_attempt_at=now) for e in endpoints])
        for delivery in deliveries:
            enqueue_after_commit(_QueueOrWait(tasks.send_delivery_task), delivery.pk)
    return event


# --- endpoints -------------------------------------------------------------------------


def _check_url(url: str) -> FieldProblem | None:
    if not url:
        return FieldProblem("url", _("Enter the URL that receives the webhooks."))
    if len(url) > URL_MAX_LENGTH:
        return FieldProblem("url", _("The URL is longer than %(max)d characters.")
                            % {"max": URL_MAX_LENGTH})
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in {"http", "https"}:
        return FieldProblem("url", _("The URL must start with https:// or http://."))
    try:
        _url_validator(url)
    except DjangoValidationError:
        return FieldProblem("url", _("Enter a valid URL, such as https://example.com/hooks."))
    if not dispatch.allow_private_networks() and not _may_be_public(urlsplit(url).hostname):
        return FieldProblem("url", _("Receivers in private networks are not allowed here."))
    return None


def _may_be_public(host: str | None) -> bool:
    """False for hosts that are private for sure; names are checked again on every send."""
    if not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return transport.is_public(host)
    except ValueError:
        return True  # a name, not an address


def _check_event_types(values: list[str]) -> tuple[list[str], FieldProblem | None]:
    cleaned = sorted({v.strip() for v in values if v and v.strip()})
    if not cleaned:
        return cleaned, FieldProblem("event_types",
                                     _('Choose at least one event type, or "*" for all.'))
    unknown = [v for v in cleaned if v != events.ALL and not events.is_known(v)]
    if unknown:
        return cleaned, FieldProblem("event_types", _("Unknown event type: %(types)s")
                                     % {"types": ", ".join(unknown)})
    return ([events.ALL] if events.ALL in cleaned else cleaned), None


def _check_description(description: str) -> FieldProblem | None:
    if len(description) > DESCRIPTION_MAX_LENGTH:
        return FieldProblem("description", _("At most %(max)d characters.")
                            % {"max": DESCRIPTION_MAX_LENGTH})
    return None


def _fail_on(problems: list[FieldProblem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise ValidationFailed(found, _("The webhook endpoint is not valid."))


def create_endpoint(*, actor: Actor, url: str, event_types: list[str],
                    description: str = "", active: bool = True) -> Endpoint:
    """Create an endpoint with a new signing secret (shown to the creator on the response).

    Raises PermissionDenied, or ValidationFailed naming ``url``, ``event_types``
    or ``description``.
    """
    require(actor, PERMISSION)
    url, description = url.strip(), description.strip()
    types, types_problem = _check_event_types(event_types)
    _fail_on([_check_url(url), types_problem, _check_description(description)])
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            url=url, description=description, event_types=types, active=active,
            secret=generate_secret(), created_by=actor.user)
        record_audit(actor=actor, action="create", obj=endpoint,
                     fields=["url", "description", "event_types", "active", "secret"])
    return endpoint


def _locked_endpoint(endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."), code="endpoint_not_found")
    return endpoint


def update_endpoint(*, actor: Actor, endpoint_id: int, url: str | None = None,
                    event_types: list[str] | None = None, description: str | None = None,
                    active: bool | None = None) -> Endpoint:
    """Change the given fields of an endpoint (None leaves a field as it is).

    Re-activating clears the reason it was disabled; pending deliveries are then
    sent by the next sweep. Takes the endpoint's row lock. Raises NotFound,
    PermissionDenied, or ValidationFailed naming the field.
    """
    require(actor, PERMISSION)
    values: dict[str, Any] = {}
    problems: list[FieldProblem | None] = []
    if url is not None:
        values["url"] = url.strip()
        problems.append(_check_url(values["url"]))
    if event_types is not None:
        values["event_types"], problem = _check_event_types(event_types)
        problems.append(problem)
    if description is not None:
        values["description"] = description.strip()
        problems.append(_check_description(values["description"]))
    if active is not None:
        values["active"] = active
    _fail_on(problems)
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        changed = [name for name, value in values.items() if getattr(endpoint, name) != value]
        for name in changed:
            setattr(endpoint, name, values[name])
        if "active" in changed and endpoint.active:
            endpoint.disabled_reason = ""
            changed.append("disabled_reason")
        if changed:
            endpoint.save(update_fields=[*changed, "updated_at"])
            record_audit(actor=actor, action="update", obj=endpoint, fields=changed)
        if "active" in changed and endpoint.active:
            enqueue_after_commit(_QueueOrWait(tasks.send_due_deliveries_task))
    return endpoint


def rotate_secret(*, actor: Actor, endpoint_id: int) -> Endpoint:
    """Give the endpoint a new signing secret; later attempts are signed with it.

    Takes the endpoint's row lock. Raises NotFound, PermissionDenied.
    """
    require(actor, PERMISSION)
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        endpoint.secret = generate_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
        record_audit(actor=actor, action="rotate_secret", obj=endpoint, fields=["secret"])
    return endpoint


def delete_endpoint(*, actor: Actor, endpoint_id: int) -> None:
    """Delete an endpoint with its delivery history (events stay). Raises NotFound."""
    require(actor, PERMISSION)
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        record_audit(actor=actor, action="delete", obj=endpoint, fields=[])
        endpoint.delete()


def aware(moment: datetime) -> datetime:
    """``moment``, read in the business time zone when it carries none."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


# --- replay and test ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayResult:
    endpoint: Endpoint
    deliveries_created: int


def replay(*, actor: Actor, endpoint_id: int, event_type: str, since: datetime,
           until: datetime) -> ReplayResult:
    """Send again every event of ``event_type`` (``*``: every type the endpoint takes)
    that occurred in [since, until) to one endpoint, as new Delivery rows.

    Events keep their ids, so receivers that de-duplicate on ``webhook-id`` see
    no double. Test events are not replayed. Sending starts after commit.
    Takes the endpoint's row lock. Raises NotFound, PermissionDenied, or
    ValidationFailed naming ``event_type`` or ``until``.
    """
    require(actor, PERMISSION)
    event_type = (event_type or "").strip() or events.ALL
    since, until = aware(since), aware(until)
    problems: list[FieldProblem] = []
    if event_type != events.ALL and not events.is_known(event_type):
        problems.append(FieldProblem("event_type", _("Unknown event type: %(types)s")
                                     % {"types": event_type}))
    if since >= until:
        problems.append(FieldProblem("until", _("The end must be after the start.")))
    if problems:
        raise ValidationFailed(problems, _("The replay is not valid."))
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        if event_type != events.ALL and not endpoint.wants(event_type):
            raise ValidationFailed([FieldProblem(
                "event_type", _("This endpoint does not subscribe to %(type)s.")
                % {"type": event_type})], _("The replay is not valid."))
        chosen = Event.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        if event_type != events.ALL:
            chosen = chosen.filter(type=event_type)
        elif events.ALL not in endpoint.event_types:
            chosen = chosen.filter(type__in=endpoint.event_types)
        chosen = chosen.exclude(type=events.TEST_EVENT).order_by("occurred_at", "id")
        now = timezone.now()
        created = 0
        batch: list[Delivery] = []
        for event_id in chosen.values_list("id", flat=True).iterator(chunk_size=REPLAY_BATCH):
            batch.append(Delivery(event_id=event_id, endpoint=endpoint, kind=DeliveryKind.REPLAY,
                                  next_attempt_at=now))
            if len(batch) == REPLAY_BATCH:
                created += len(Delivery.objects.bulk_create(batch))
                batch = []
        created += len(Delivery.objects.bulk_create(batch))
        record_audit(actor=actor, action="replay", obj=endpoint, fields=["deliveries"])
        if created:
            enqueue_after_commit(_QueueOrWait(tasks.send_due_deliveries_task))
    return ReplayResult(endpoint=endpoint, deliveries_created=created)


def resend_delivery(*, actor: Actor, delivery_id: int) -> Delivery:
    """Send a delivery's event to its endpoint again now, as a new Delivery row
    (the old row keeps its history). Raises NotFound, PermissionDenied, or
    DomainError ``endpoint_inactive``."""
    require(actor, PERMISSION)
    with transaction.atomic():
        original = Delivery.objects.filter(pk=delivery_id).first()
        if original is None:
            raise NotFound(_("No such delivery."), code="delivery_not_found")
        endpoint = _locked_endpoint(original.endpoint_id)
        if not endpoint.active:
            raise DomainError(_("The endpoint is disabled; enable it first."),
                              code="endpoint_inactive", status=409)
        delivery = Delivery.objects.create(event_id=original.event_id, endpoint=endpoint,
                                           kind=DeliveryKind.REPLAY, next_attempt_at=timezone.now())
        record_audit(actor=actor, action="resend", obj=delivery, fields=[])
        enqueue_after_commit(_QueueOrWait(tasks.send_delivery_task), delivery.pk)
    return delivery


def send_test_event(*, actor: Actor, endpoint_id: int) -> Delivery:
    """Send a ``webhook.test`` event to this endpoint only (whatever it subscribes to).

    Raises NotFound, PermissionDenied, or DomainError ``endpoint_inactive``.
    """
    require(actor, PERMISSION)
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        if not endpoint.active:
            raise DomainError(_("The endpoint is disabled; enable it first."),
                              code="endpoint_inactive", status=409)
        now = timezone.now()
        event = Event.objects.create(
            type=events.TEST_EVENT, occurred_at=now,
            payload={"endpoint_id": endpoint.pk, "message": "Test event from Dangol"})
        delivery = Delivery.objects.create(event=event, endpoint=endpoint,
                                           kind=DeliveryKind.TEST, next_attempt_at=now)
        record_audit(actor=actor, action="test", obj=endpoint, fields=[])
        enqueue_after_commit(_QueueOrWait(tasks.send_delivery_task), delivery.pk)
    return delivery
