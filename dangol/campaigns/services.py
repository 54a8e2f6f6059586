"""Writes for campaigns: save a draft, schedule or send it, cancel it, and the fan-out.

Messages go out through the messaging outbox (``dangol.engagement``), which
applies the law's rules (consent, night time, the ``(광고)`` label, opt-out).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.campaigns import ab, rendering
from dangol.campaigns.models import Campaign, CampaignSettings, Channel, Purpose, Recipient
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.core.transactions import enqueue_after_commit
from dangol.customers.models import Customer
from dangol.customers.selectors import consents_by_customer, recommended_product_names
from dangol.engagement import compliance
from dangol.engagement.models import Message
from dangol.engagement.models import Purpose as MessagePurpose
from dangol.engagement.models import Status as MessageStatus
from dangol.engagement.services import Draft, queue_messages
from dangol.loyalty.models import Account
from dangol.segments.models import Segment
from dangol.segments.selectors import segment_customers
from dangol.surveys.models import BrandKit

CHUNK_SIZE = 500
MAX_HOLDOUT = 90
MAX_CONVERSION_DAYS = 365
# A campaign "sending" without progress for this long lost its worker; it is resumed.
STALE_SENDING = timedelta(minutes=10)
FIELDS = ("name", "channel", "purpose", "segment_id", "subject", "body", "brand_id",
          "holdout_percent", "conversion_days")


def message_purpose(campaign: Campaign) -> str:
    return MessagePurpose.AD if campaign.purpose == Purpose.AD else MessagePurpose.TRANSACTIONAL


# --- drafts -----------------------------------------------------------------------------


def save_campaign(*, actor: Actor, values: Mapping[str, Any],
                  campaign_id: int | None = None) -> Campaign:
    """Create a draft campaign, or change a draft. ``values`` holds the keys of FIELDS.

    Raises ValidationFailed naming each bad field (nothing is saved), NotFound,
    DomainError ``not_draft`` for a campaign already scheduled or sent.
    """
    require(actor, "campaigns.manage")
    cleaned = _clean(values)
    versions, problems = ab.variant_problems({**values, **cleaned}, channel=cleaned["channel"])
    if problems:
        raise ValidationFailed(problems, _("The campaign cannot be saved."))
    with transaction.atomic():
        if campaign_id is None:
            campaign = Campaign(seed=secrets.token_hex(16),
                                created_by=actor.user if actor.user else None)
            action = "create"
        else:
            campaign = _locked(campaign_id)
            if not campaign.editable:
                raise DomainError(_("Only a draft campaign can be changed."), code="not_draft",
                                  status=409)
            action = "update"
        changed = [name for name in FIELDS if getattr(campaign, name) != cleaned[name]]
        for name in FIELDS:
            setattr(campaign, name, cleaned[name])
        campaign.segment_name = Segment.objects.get(pk=cleaned["segment_id"]).name
        campaign.save()
        # An A/B test's versions: A is the campaign's own text; none without a test.
        if ab.write_variants(campaign, versions):
            changed.append("variants")
        record_audit(actor=actor, action=action, obj=campaign, fields=changed)
    return campaign


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    problems: list[FieldProblem] = []
    data = {name: values.get(name) for name in FIELDS}
    name = str(data["name"] or "").strip()
    if not name:
        problems.append(FieldProblem("name", _("A campaign needs a name.")))
    elif len(name) > 100:
        problems.append(FieldProblem("name", _("At most %(n)s characters.") % {"n": 100}))
    channel = data["channel"] or ""
    if channel not in Channel.values:
        problems.append(FieldProblem("channel", _("Use one of: %(values)s.")
                                     % {"values": ", ".join(Channel.values)}))
    purpose = data["purpose"] or ""
    if purpose not in Purpose.values:
        problems.append(FieldProblem("purpose", _("Use one of: %(values)s.")
                                     % {"values": ", ".join(Purpose.values)}))
    segment_id = _int_or_none(data["segment_id"])
    if segment_id is None or not Segment.objects.filter(pk=segment_id).exists():
        problems.append(FieldProblem("segment_id", _("Choose a saved segment.")))
    subject = str(data["subject"] or "").strip()
    body = str(data["body"] or "")
    if channel == Channel.EMAIL:
        if not subject:
            problems.append(FieldProblem("subject", _("An e-mail needs a subject.")))
        elif "\n" in subject or "\r" in subject:
            problems.append(FieldProblem("subject", _("One line, without line breaks.")))
        elif len(subject) > 200:
            problems.append(FieldProblem("subject", _("At most %(n)s characters.") % {"n": 200}))
    else:
        subject = ""
    problems.extend(rendering.template_problems("subject", subject))
    if not body.strip():
        problems.append(FieldProblem("body", _("A message needs a body.")))
    problems.extend(rendering.template_problems("body", body))
    if purpose == Purpose.INFORMATION and rendering.ad_only_placeholders(subject, body):
        problems.append(FieldProblem("purpose", _(
            "Recommended products make the message an ad: choose Advertising.")))
    brand_id = _int_or_none(data["brand_id"])
    if data["brand_id"] not in (None, "") and (
            brand_id is None or not BrandKit.objects.filter(pk=brand_id).exists()):
        problems.append(FieldProblem("brand_id", _("No such brand kit.")))
    holdout = _int_or_none(data["holdout_percent"])
    holdout = 0 if data["holdout_percent"] in (None, "") else holdout
    if holdout is None or not 0 <= holdout <= MAX_HOLDOUT:
        problems.append(FieldProblem("holdout_percent", _(
            "A whole number from 0 to %(n)s.") % {"n": MAX_HOLDOUT}))
    days = _int_or_none(data["conversion_days"])
    days = 7 if data["conversion_days"] in (None, "") else days
    if days is None or not 1 <= days <= MAX_CONVERSION_DAYS:
        problems.append(FieldProblem("conversion_days", _(
            "A whole number from 1 to %(n)s.") % {"n": MAX_CONVERSION_DAYS}))
    if problems:
        raise ValidationFailed(problems, _("The campaign cannot be saved."))
    return {"name": name, "channel": channel, "purpose": purpose, "segment_id": segment_id,
            "subject": subject, "body": body, "brand_id": brand_id if channel == "email"
            else None, "holdout_percent": holdout, "conversion_days": days}


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No campaign with ID %(id)s.") % {"id": campaign_id})
    return campaign


# --- sending ----------------------------------------------------------------------------


def schedule_campaign(*, actor: Actor, campaign_id: int,
                      send_at: datetime | None = None) -> Campaign:
    """Send a draft now (no ``send_at``, or one already past) or at ``send_at``.

    Now: the fan-out starts on a worker after commit. Later: the periodic job
    starts it when the time comes. Raises NotFound, DomainError ``not_draft``.
    """
    require(actor, "campaigns.manage")
    now = timezone.now()
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if not campaign.editable:
            raise DomainError(_("This campaign was already scheduled or sent."),
                              code="not_draft", status=409)
        if campaign.segment_id is None:
            raise ValidationFailed([FieldProblem("segment_id", _(
                "The campaign's segment was deleted: choose another."))],
                _("The campaign cannot be sent."))
        if send_at is None or send_at <= now:
            campaign.send_at = now
            _start(campaign, now)
        else:
            campaign.send_at = send_at
            campaign.status = Campaign.Status.SCHEDULED
            campaign.save(update_fields=["send_at", "status", "updated_at"])
        record_audit(actor=actor, action="schedule", obj=campaign, fields=["status", "send_at"])
    return campaign


def cancel_campaign(*, actor: Actor, campaign_id: int) -> Campaign:
    """Cancel a scheduled campaign before it starts. Raises DomainError ``not_scheduled``."""
    require(actor, "campaigns.manage")
    with transaction.atomic():
        campaign = _locked(campaign_id)
        if campaign.status != Campaign.Status.SCHEDULED:
            raise DomainError(_("Only a scheduled campaign can be cancelled."),
                              code="not_scheduled", status=409)
        campaign.status = Campaign.Status.CANCELLED
        campaign.save(update_fields=["status", "updated_at"])
        record_audit(actor=actor, action="cancel", obj=campaign, fields=["status"])
    return campaign


def _start(campaign: Campaign, now: datetime) -> None:
    from dangol.campaigns import tasks

    campaign.status = Campaign.Status.SENDING
    campaign.started_at = campaign.started_at or now
    campaign.save(update_fields=["send_at", "status", "started_at", "updated_at"])
    enqueue_after_commit(tasks.fan_out_task, campaign.pk)


def start_due_campaigns(*, now: datetime | None = None) -> list[int]:
    """Start scheduled campaigns whose time has come, and resume stalled fan-outs.

    Safe to run as often as wanted (the periodic job runs it every minute).
    """
    from dangol.campaigns import tasks

    now = now or timezone.now()
    started: list[int] = []
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now)
    for campaign_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            campaign = _locked(campaign_id)
            if campaign.status == Campaign.Status.SCHEDULED:
                _start(campaign, now)
                started.append(campaign_id)
    stalled = Campaign.objects.filter(status=Campaign.Status.SENDING,
                                      updated_at__lt=now - STALE_SENDING)
    for campaign_id in stalled.values_list("pk", flat=True):
        tasks.fan_out_task.delay(campaign_id)
        started.append(campaign_id)
    return started


@dataclass
class ChunkResult:
    handled: int
    done: bool


def fan_out(*, campaign_id: int, chunk_size: int = CHUNK_SIZE,
            max_chunks: int | None = None, now: datetime | None = None) -> int:
    """Handle the campaign's segment chunk by chunk until done; returns customers handled.

    Each chunk is one transaction with the campaign row locked, so two workers
    on one campaign take turns and a repeated run adds nothing. ``max_chunks``
    stops early (as a worker that died would).
    """
    handled = 0
    chunks = 0
    while max_chunks is None or chunks < max_chunks:
        result = fan_out_chunk(campaign_id=campaign_id, chunk_size=chunk_size, now=now)
        handled += result.handled
        chunks += 1
        if result.done:
            break
    return handled


def fan_out_chunk(*, campaign_id: int, chunk_size: int = CHUNK_SIZE,
                  now: datetime | None = None) -> ChunkResult:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related(
            "segment", "brand").filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.SENDING:
            return ChunkResult(0, True)
        at = now or timezone.now()
        if campaign.segment is None:
            # The segment was deleted while sending: what was sent stays, nothing more goes.
            campaign.status = Campaign.Status.SENT
            campaign.finished_at = at
            campaign.save(update_fields=["status", "finished_at", "updated_at"])
            return ChunkResult(0, True)
        members = list(segment_customers(campaign.segment).filter(pk__gt=campaign.cursor)
                       .order_by("pk")[:chunk_size])
        if not members:
            campaign.status = Campaign.Status.SENT
            campaign.finished_at = at
            campaign.save(update_fields=["status", "finished_at", "updated_at"])
            return ChunkResult(0, True)
        _handle(campaign, members, at)
        campaign.cursor = members[-1].pk
        campaign.save(update_fields=["cursor", "updated_at"])
        return ChunkResult(len(members), False)


def held_out(campaign: Campaign, customer_id: int) -> bool:
    """The campaign's random draw for one customer: the same on every run."""
    if not campaign.holdout_percent:
        return False
    digest = hashlib.sha256(f"{campaign.seed}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < campaign.holdout_percent / 100


def _handle(campaign: Campaign, members: list[Customer], at: datetime) -> None:
    purpose = message_purpose(campaign)
    ids = [c.pk for c in members]
    done = set(Recipient.objects.filter(campaign=campaign, customer_id__in=ids)
               .values_list("customer_id", flat=True))
    consents = consents_by_customer(customer_ids=ids, channel=campaign.channel,
                                    purpose=MessagePurpose.AD) if purpose == "ad" else {}
    recent = _recent_ads(ids, at) if purpose == "ad" else {}
    cap = campaign_settings().cap_messages
    variants = list(campaign.variants.order_by("label"))
    recipients: list[Recipient] = []
    to_message: list[Customer] = []
    for customer in members:
        if customer.pk in done:
            continue
        reason = compliance.contact_block_with(customer=customer, channel=campaign.channel,
                                               purpose=purpose, at=at,
                                               consent=consents.get(customer.pk))
        if reason is not None:
            recipients.append(Recipient(campaign=campaign, customer=customer, at=at,
                                        outcome=Recipient.Outcome.BLOCKED,
                                        block_reason=str(reason)))
        elif cap is not None and recent.get(customer.pk, 0) >= cap:
            recipients.append(Recipient(campaign=campaign, customer=customer, at=at,
                                        outcome=Recipient.Outcome.CAPPED))
        elif held_out(campaign, customer.pk):
            recipients.append(Recipient(campaign=campaign, customer=customer, at=at,
                                        outcome=Recipient.Outcome.HELD_OUT))
        else:
            to_message.append(customer)
    if to_message:
        values = personal_values(to_message)
        drafts = []
        chosen = {customer.pk: ab.choose_variant(campaign, variants, customer.pk)
                  for customer in to_message} if variants else {}
        for customer in to_message:
            language = customer.language or "ko"
            text = chosen.get(customer.pk, campaign)
            content = rendering.render(channel=campaign.channel, subject=text.subject,
                                       body=text.body, values=values[customer.pk],
                                       brand=campaign.brand, language=language)
            drafts.append(Draft(customer=customer, subject=content.subject, body=content.body,
                                html_body=content.html_body, language=language,
                                dedupe_key=f"campaign:{campaign.pk}:{customer.pk}"))
        messages = queue_messages(channel=campaign.channel, purpose=purpose, drafts=drafts,
                                  source=f"campaign:{campaign.pk}")
        for customer, message in zip(to_message, messages, strict=True):
            blocked = message.status == MessageStatus.BLOCKED
            recipients.append(Recipient(
                campaign=campaign, customer=customer, at=at, message=message,
                variant=chosen.get(customer.pk),
                outcome=Recipient.Outcome.BLOCKED if blocked else Recipient.Outcome.MESSAGED,
                block_reason=message.block_reason if blocked else ""))
    Recipient.objects.bulk_create(recipients, batch_size=CHUNK_SIZE)


def _recent_ads(customer_ids: list[int], at: datetime) -> dict[int, int]:
    """Advertising messages each customer was sent (or has queued) in the cap's window."""
    settings = campaign_settings()
    if settings.cap_messages is None:
        return {}
    rows = (Message.objects.filter(customer_id__in=customer_ids, purpose=MessagePurpose.AD,
                                   created_at__gt=at - timedelta(days=settings.cap_days))
            .exclude(status__in=[MessageStatus.BLOCKED, MessageStatus.FAILED])
            .values("customer_id").annotate(n=Count("pk")))
    return {row["customer_id"]: row["n"] for row in rows}


def personal_values(customers: list[Customer]) -> dict[int, dict[str, str]]:
    """Each customer's placeholder values (a few queries for any number of customers)."""
    accounts: dict[int, Account] = {}
    for account in (Account.objects.filter(customer_id__in=[c.pk for c in customers])
                    .select_related("tier").order_by("-balance", "pk")):
        accounts.setdefault(account.customer_id, account)
    recommended = recommended_product_names([c.pk for c in customers])
    result = {}
    for customer in customers:
        account = accounts.get(customer.pk)
        result[customer.pk] = {
            "name": customer.name or _("customer"),
            "tier": account.tier.name if account is not None and account.tier else "",
            "points": f"{account.balance:,}" if account is not None else "0",
            "region": customer.region,
            "customer_id": customer.external_id,
            "recommendations": recommended.get(customer.pk, ""),
        }
    return result


# --- settings ---------------------------------------------------------------------------


def campaign_settings() -> CampaignSettings:
    found = CampaignSettings.objects.filter(pk=1).first()
    return found if found is not None else CampaignSettings(pk=1)


def save_settings(*, actor: Actor, cap_messages: int | None, cap_days: int) -> CampaignSettings:
    """Set the frequency cap: at most ``cap_messages`` ads per customer per ``cap_days``."""
    require(actor, "campaigns.manage")
    problems = []
    if cap_messages is not None and not 1 <= cap_messages <= 100:
        problems.append(FieldProblem("cap_messages", _("A whole number from 1 to 100, or empty.")))
    if not 1 <= cap_days <= 365:
        problems.append(FieldProblem("cap_days", _("A whole number from 1 to 365.")))
    if problems:
        raise ValidationFailed(problems, _("The settings cannot be saved."))
    settings, _created = CampaignSettings.objects.update_or_create(
        pk=1, defaults={"cap_messages": cap_messages, "cap_days": cap_days})
    record_audit(actor=actor, action="update", obj=settings, fields=["cap_messages", "cap_days"])
    return settings


# --- preview and test sends ------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    customer: Customer | None
    subject: str
    body: str
    html_body: str
    warning: str = ""


def preview(*, values: Mapping[str, Any], customer: Customer | None = None) -> Preview:
    """The message as ``customer`` (or a made-up customer) would get it, with the law's
    additions for an ad. Raises ValidationFailed for a bad template."""
    channel = values.get("channel") or Channel.EMAIL
    subject = str(values.get("subject") or "") if channel == Channel.EMAIL else ""
    body = str(values.get("body") or "")
    problems = [*rendering.template_problems("subject", subject),
                *rendering.template_problems("body", body)]
    if problems:
        raise ValidationFailed(problems, _("The campaign cannot be saved."))
    if customer is not None:
        personal = personal_values([customer])[customer.pk]
        language = customer.language or "ko"
    else:
        personal = {"name": _("Kim Dangol"), "tier": _("Gold"), "points": "1,200",
                    "region": _("Seoul"), "customer_id": "C000001",
                    "recommendations": _("Linen shirt, Running shoes, Canvas tote bag")}
        language = "ko"
    brand = BrandKit.objects.filter(pk=_int_or_none(values.get("brand_id")) or 0).first()
    content = rendering.render(channel=channel, subject=subject, body=body, values=personal,
                               brand=brand, language=language)
    result = Preview(customer, content.subject, content.body, content.html_body or "")
    if values.get("purpose", Purpose.AD) != Purpose.AD:
        return result
    try:
        if channel == Channel.EMAIL:
            lawful = compliance.email_ad_content(
                subject=content.subject, body=content.body, html_body=content.html_body or "",
                headers={}, language=language,
                unsubscribe_url=_unsubscribe_example(customer, channel))
            return Preview(customer, lawful.subject, lawful.body, lawful.html_body)
        return Preview(customer, "", compliance.label_text_ad(content.body), "")
    except compliance.AdContentError as error:
        return Preview(customer, result.subject, result.body, result.html_body,
                       warning=str(error.reason.label))


def _unsubscribe_example(customer: Customer | None, channel: str) -> str:
    """A stand-in for the customer's unsubscribe link: a preview or a test e-mail to staff
    must not carry a link that really unsubscribes the customer."""
    from django.conf import settings

    return settings.DANGOL_PUBLIC_URL.rstrip("/") + "/engagement/unsubscribe/…"


def send_test(*, actor: Actor, values: Mapping[str, Any], address: str,
              customer: Customer | None = None) -> Preview:
    """E-mail the preview to ``address`` (a staff member's inbox); nothing is recorded
    for any customer. Raises ValidationFailed for a bad address or template."""
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.mail import EmailMultiAlternatives
    from django.core.validators import validate_email

    require(actor, "campaigns.manage")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationFailed([FieldProblem("address", _("Enter a valid e-mail address."))],
                               _("The test was not sent.")) from None
    shown = preview(values=values, customer=customer)
    subject = _("[Test] %(subject)s") % {"subject": shown.subject or values.get("name", "")}
    mail = EmailMultiAlternatives(subject=subject, body=shown.body,
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
    if shown.html_body:
        mail.attach_alternative(shown.html_body, "text/html")
    mail.send()
    record_audit(actor=actor, action="send_test", object_type_label="campaigns.campaign",
                 object_id=str(values.get("id") or ""), fields=["address"])
    return shown
