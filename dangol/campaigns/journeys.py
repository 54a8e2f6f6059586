"""Writes of journeys: save one, turn it on or off, and enter customers into it.

Entering goes through the messaging outbox (``dangol.engagement``), which applies
the law's rules (consent, night time, the ``(광고)`` label, opt-out); the frequency
cap and the holdout draw are the campaigns'. The scans that find customers for
the daily triggers are in :mod:`dangol.campaigns.journey_triggers`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.services import record_audit, require
from dangol.campaigns import rendering
from dangol.campaigns.journey_models import Journey, JourneyEntry, Trigger
from dangol.campaigns.models import Channel, Purpose
from dangol.campaigns.services import (
    _int_or_none,
    _recent_ads,
    campaign_settings,
    personal_values,
)
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.customers.models import Customer
from dangol.customers.selectors import consents_by_customer
from dangol.engagement import compliance
from dangol.engagement.models import BlockReason
from dangol.engagement.models import Purpose as MessagePurpose
from dangol.engagement.models import Status as MessageStatus
from dangol.engagement.services import Draft, queue_messages
from dangol.loyalty.models import Coupon, CouponCampaign, Source
from dangol.loyalty.services import earn_points, issue_coupon
from dangol.loyalty.services.coupons import display_code
from dangol.surveys.models import BrandKit, Survey

CHUNK_SIZE = 500
MAX_HOLDOUT = 90
MAX_CONVERSION_DAYS = 365
MAX_REENTRY_DAYS = 730
MAX_POINTS = 1_000_000
# The largest N of each trigger's "N days" (birthday: before; order: after; win-back:
# without an order).
MAX_DAYS: dict[str, int] = {Trigger.BIRTHDAY: 60, Trigger.POST_PURCHASE: 365, Trigger.WIN_BACK: 730,
            Trigger.DETRACTOR: 0}
FIELDS = ("name", "trigger", "days", "p_alive_below", "survey_id", "nps_at_most", "channel",
          "purpose", "subject_ko", "body_ko", "subject_en", "body_en", "brand_id",
          "coupon_campaign_id", "points", "holdout_percent", "reentry_days",
          "conversion_days", "active")


class SkipReason:
    """Why a journey entered a customer without a message (stable codes)."""

    QUIET_PERIOD = "quiet_period"
    COUPON_UNAVAILABLE = "coupon_unavailable"


def reason_label(code: str) -> str:
    """A reason code of an entry (the law's block reasons, or a skip reason) for people."""
    labels = {SkipReason.QUIET_PERIOD: _("Entered this journey within its quiet period"),
              SkipReason.COUPON_UNAVAILABLE: _("The coupon campaign is paused or over")}
    if code in labels:
        return labels[code]
    if code in BlockReason.values:
        return str(BlockReason(code).label)
    return code


def message_purpose(journey: Journey) -> str:
    return MessagePurpose.AD if journey.purpose == Purpose.AD else MessagePurpose.TRANSACTIONAL


# --- saving -----------------------------------------------------------------------------


def save_journey(*, actor: Actor, values: Mapping[str, Any],
                 journey_id: int | None = None) -> Journey:
    """Create a journey or change one (also while active: later entries use the change).

    ``values`` holds the keys of FIELDS. Raises ValidationFailed naming each bad
    field (nothing is saved), NotFound, PermissionDenied.
    """
    require(actor, "campaigns.manage")
    cleaned = clean_journey(values)
    with transaction.atomic():
        if journey_id is None:
            journey = Journey(seed=secrets.token_hex(16),
                              created_by=actor.user if actor.user else None)
            action = "create"
        else:
            journey = _locked(journey_id)
            action = "update"
        changed = [name for name in FIELDS if getattr(journey, name) != cleaned[name]]
        for name in FIELDS:
            setattr(journey, name, cleaned[name])
        journey.save()
        record_audit(actor=actor, action=action, obj=journey, fields=changed)
    return journey


def set_journey_active(*, actor: Actor, journey_id: int, active: bool) -> Journey:
    """Turn a journey on or off; an inactive journey enters nobody. Raises NotFound."""
    require(actor, "campaigns.manage")
    with transaction.atomic():
        journey = _locked(journey_id)
        if journey.active != active:
            journey.active = active
            journey.save(update_fields=["active", "updated_at"])
            record_audit(actor=actor, action="activate" if active else "deactivate",
                         obj=journey, fields=["active"])
    return journey


def delete_journey(*, actor: Actor, journey_id: int) -> None:
    """Delete a journey that never entered anyone. Raises NotFound, DomainError
    ``has_entries`` (409: its entries and results are kept; turn it off instead)."""
    require(actor, "campaigns.manage")
    with transaction.atomic():
        journey = _locked(journey_id)
        if JourneyEntry.objects.filter(journey=journey).exists():
            raise DomainError(_("This journey has entries: turn it off instead of deleting it."),
                              code="has_entries", status=409)
        record_audit(actor=actor, action="delete", obj=journey)
        journey.delete()


def _locked(journey_id: int) -> Journey:
    if not 0 < journey_id < 2**63:
        raise NotFound(_("No journey with ID %(id)s.") % {"id": journey_id})
    journey = Journey.objects.select_for_update(of=("self",)).select_related(
        "brand", "coupon_campaign").filter(pk=journey_id).first()
    if journey is None:
        raise NotFound(_("No journey with ID %(id)s.") % {"id": journey_id})
    return journey


def clean_journey(values: Mapping[str, Any]) -> dict[str, Any]:
    """The journey's values checked and normalised; ValidationFailed names each bad field."""
    problems: list[FieldProblem] = []

    def bad(name: str, message: str) -> None:
        problems.append(FieldProblem(name, message))

    data = {name: values.get(name) for name in FIELDS}
    name = str(data["name"] or "").strip()
    if not name:
        bad("name", _("A journey needs a name."))
    elif len(name) > 100:
        bad("name", _("At most %(n)s characters.") % {"n": 100})
    trigger = data["trigger"] or ""
    if trigger not in Trigger.values:
        bad("trigger", _("Use one of: %(values)s.") % {"values": ", ".join(Trigger.values)})
    days = _whole(data["days"], 0)
    top = MAX_DAYS.get(trigger, 0)
    if trigger in MAX_DAYS and trigger != Trigger.DETRACTOR and (
            days is None or not 0 <= days <= top):
        bad("days", _("A whole number from 0 to %(n)s.") % {"n": top})
    if trigger == Trigger.DETRACTOR:
        days = 0
    p_alive = _probability(data["p_alive_below"])
    if trigger == Trigger.WIN_BACK:
        if p_alive is False:
            bad("p_alive_below", _("A probability between 0 and 1, such as 0.3, or empty."))
        elif p_alive is None and not days:
            bad("days", _("Give the days without an order, or a probability threshold."))
    p_alive_value = p_alive if trigger == Trigger.WIN_BACK and p_alive is not False else None
    survey_id = _id(data["survey_id"]) if trigger == Trigger.DETRACTOR else None
    if trigger == Trigger.DETRACTOR and data["survey_id"] not in (None, "") and (
            survey_id is None or not Survey.objects.filter(pk=survey_id).exists()):
        bad("survey_id", _("No such survey."))
    nps = _whole(data["nps_at_most"], 6)
    if nps is None or not 0 <= nps <= 6:
        bad("nps_at_most", _("A whole number from 0 to 6 (a detractor's score)."))
    channel = data["channel"] or ""
    if channel not in Channel.values:
        bad("channel", _("Use one of: %(values)s.") % {"values": ", ".join(Channel.values)})
    purpose = data["purpose"] or ""
    if purpose not in Purpose.values:
        bad("purpose", _("Use one of: %(values)s.") % {"values": ", ".join(Purpose.values)})
    coupon_id = _id(data["coupon_campaign_id"])
    if data["coupon_campaign_id"] not in (None, "") and (
            coupon_id is None or not CouponCampaign.objects.filter(pk=coupon_id).exists()):
        bad("coupon_campaign_id", _("No such coupon campaign."))
    points = _whole(data["points"], None)
    if data["points"] not in (None, "", 0, "0") and (points is None
                                                     or not 1 <= points <= MAX_POINTS):
        bad("points", _("A whole number from 1 to %(n)s, or empty.") % {"n": MAX_POINTS})
    points = points or None
    if purpose == Purpose.INFORMATION:
        # COMPLIANCE.md R1: a coupon, points or a re-purchase nudge makes it an ad.
        if coupon_id or points:
            bad("purpose", _("A message that gives a coupon or points is advertising."))
        elif trigger in (Trigger.BIRTHDAY, Trigger.WIN_BACK):
            bad("purpose", _("Birthday and win-back messages are advertising."))
    texts = {}
    for language in ("ko", "en"):
        subject = str(data[f"subject_{language}"] or "").strip()
        body = str(data[f"body_{language}"] or "")
        if channel == Channel.EMAIL:
            if "\n" in subject or "\r" in subject:
                bad(f"subject_{language}", _("One line, without line breaks."))
            elif len(subject) > 200:
                bad(f"subject_{language}", _("At most %(n)s characters.") % {"n": 200})
            elif not subject and (language == "ko" or body.strip()):
                bad(f"subject_{language}", _("An e-mail needs a subject."))
        else:
            subject = ""
        problems.extend(rendering.template_problems(f"subject_{language}", subject,
                                                    rendering.JOURNEY_PLACEHOLDERS))
        problems.extend(rendering.template_problems(f"body_{language}", body,
                                                    rendering.JOURNEY_PLACEHOLDERS))
        texts[language] = (subject, body)
    if not texts["ko"][1].strip():
        bad("body_ko", _("A message needs a body."))
    for language in ("ko", "en"):
        used = {m.group(1) for m in rendering.PLACEHOLDER.finditer("".join(texts[language]))}
        if used & {"coupon", "coupon_expires"} and not coupon_id:
            bad(f"body_{language}", _("The message shows a coupon: choose the coupon."))
        if "reward_points" in used and not points:
            bad(f"body_{language}", _("The message shows points: give the points."))
        if "recommendations" in used and purpose == Purpose.INFORMATION:
            bad("purpose", _("A message that recommends products is advertising."))
    brand_id = _id(data["brand_id"])
    if data["brand_id"] not in (None, "") and (
            brand_id is None or not BrandKit.objects.filter(pk=brand_id).exists()):
        bad("brand_id", _("No such brand kit."))
    holdout = _whole(data["holdout_percent"], 0)
    if holdout is None or not 0 <= holdout <= MAX_HOLDOUT:
        bad("holdout_percent", _("A whole number from 0 to %(n)s.") % {"n": MAX_HOLDOUT})
    reentry = _whole(data["reentry_days"], 30)
    if reentry is None or not 1 <= reentry <= MAX_REENTRY_DAYS:
        bad("reentry_days", _("A whole number from 1 to %(n)s.") % {"n": MAX_REENTRY_DAYS})
    conversion = _whole(data["conversion_days"], 7)
    if conversion is None or not 1 <= conversion <= MAX_CONVERSION_DAYS:
        bad("conversion_days", _("A whole number from 1 to %(n)s.")
            % {"n": MAX_CONVERSION_DAYS})
    if problems:
        raise ValidationFailed(problems, _("The journey cannot be saved."))
    return {"name": name, "trigger": trigger, "days": days, "p_alive_below": p_alive_value,
            "survey_id": survey_id, "nps_at_most": nps, "channel": channel,
            "purpose": purpose, "subject_ko": texts["ko"][0], "body_ko": texts["ko"][1],
            "subject_en": texts["en"][0], "body_en": texts["en"][1],
            "brand_id": brand_id if channel == Channel.EMAIL else None,
            "coupon_campaign_id": coupon_id, "points": points, "holdout_percent": holdout,
            "reentry_days": reentry, "conversion_days": conversion,
            "active": bool(data["active"])}


def _id(value: Any) -> int | None:
    """A row id, or None (also for numbers no database column holds)."""
    number = _int_or_none(value)
    return number if number is not None and 0 < number < 2**63 else None


def _whole(value: Any, default: int | None) -> int | None:
    if value in (None, ""):
        return default
    if isinstance(value, float) and not value.is_integer():
        return None
    number = _int_or_none(value)
    return number if number is not None and abs(number) < 2**31 else None


def _probability(value: Any) -> float | bool | None:
    """A probability strictly between 0 and 1, None when empty, False when bad."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number if 0 < number < 1 else False


# --- entering ---------------------------------------------------------------------------


@dataclass
class EnterResult:
    """What one call of ``enter_customers`` did; ``held`` waits for the daytime."""

    outcomes: dict[str, int] = field(default_factory=dict)
    held: int = 0

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def add(self, other: EnterResult) -> None:
        for outcome, n in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n
        self.held += other.held

    @property
    def entered(self) -> int:
        return sum(self.outcomes.values())


def held_out(journey: Journey, customer_id: int) -> bool:
    """The journey's random draw for one customer: the same on every occasion."""
    if not journey.holdout_percent:
        return False
    digest = hashlib.sha256(f"{journey.seed}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < journey.holdout_percent / 100


def window_of(journey: Journey, at: datetime) -> str:
    day = timezone.localdate(at).toordinal()
    return f"{journey.reentry_days}:{day // journey.reentry_days}"


def enter_customers(*, journey_id: int, candidates: Iterable[tuple[int, str]],
                    now: datetime | None = None) -> EnterResult:
    """Enter each (customer id, occasion) into the journey and record what became of it.

    One transaction holding the journey's row lock, so entries of one journey are
    written one batch at a time and the quiet period is checked exactly. An
    occasion already recorded adds nothing (safe to run twice). A customer who
    entered less than ``reentry_days`` ago gets a ``skipped`` entry (quiet_period).
    An SMS/KakaoTalk ad that the night-time rule forbids now is *held*: no entry is
    written and the next daytime scan enters the customer. Otherwise the customer
    is blocked (the law's reason), over the frequency cap, held out, skipped (the
    coupon cannot be issued), or messaged with the journey's coupon or points.
    Messages go out after commit.
    """
    now = now or timezone.now()
    wanted = list(dict.fromkeys(candidates))
    result = EnterResult()
    if not wanted:
        return result
    for attempt in (1, 2):
        result = EnterResult()
        try:
            with transaction.atomic():
                journey = Journey.objects.select_for_update(of=("self",)).select_related(
                    "brand", "coupon_campaign").filter(pk=journey_id).first()
                if journey is None or not journey.active:
                    return result
                _enter(journey, wanted, now, result)
                if result.entered:
                    record_audit(actor=SYSTEM, action="enter_customers", obj=journey,
                                 fields=sorted(result.outcomes))
        except IntegrityError:
            # The journey's row lock (PostgreSQL) or the write lock taken at BEGIN
            # (SQLite) puts batches one after the other; should another writer still have
            # recorded the same occasion first, the second attempt sees its rows.
            if attempt == 2:
                raise
            continue
        break
    return result


def _enter(journey: Journey, wanted: list[tuple[int, str]], now: datetime,
           result: EnterResult) -> None:
    ids = sorted({customer_id for customer_id, _occasion in wanted})
    customers = Customer.objects.in_bulk(ids)
    known = set(JourneyEntry.objects.filter(
        journey=journey, customer_id__in=ids, occasion__in={o for _c, o in wanted},
    ).values_list("customer_id", "occasion"))
    quiet = set(JourneyEntry.objects.filter(
        journey=journey, customer_id__in=ids, at__gt=now - timedelta(days=journey.reentry_days),
    ).exclude(outcome=JourneyEntry.Outcome.SKIPPED).values_list("customer_id", flat=True))
    purpose = message_purpose(journey)
    consents = consents_by_customer(customer_ids=ids, channel=journey.channel,
                                    purpose=MessagePurpose.AD) if purpose == "ad" else {}
    recent = _recent_ads(ids, now) if purpose == "ad" else {}
    cap = campaign_settings().cap_messages if purpose == "ad" else None
    window = window_of(journey, now)
    entries: list[JourneyEntry] = []
    to_message: list[tuple[Customer, str]] = []

    def record(customer: Customer, occasion: str, outcome: str, reason: str = "") -> None:
        entries.append(JourneyEntry(journey=journey, customer=customer, occasion=occasion,
                                    window=window, outcome=outcome, reason=reason, at=now))
        result.count(outcome)

    for customer_id, occasion in wanted:
        customer = customers.get(customer_id)
        if customer is None or (customer_id, occasion) in known:
            continue
        known.add((customer_id, occasion))
        if customer_id in quiet:
            record(customer, occasion, JourneyEntry.Outcome.SKIPPED, SkipReason.QUIET_PERIOD)
            continue
        reason = compliance.contact_block_with(customer=customer, channel=journey.channel,
                                               purpose=purpose, at=now,
                                               consent=consents.get(customer_id))
        if reason == BlockReason.NIGHT_TIME:
            result.held += 1
            known.discard((customer_id, occasion))
            continue
        quiet.add(customer_id)
        if reason is not None:
            record(customer, occasion, JourneyEntry.Outcome.BLOCKED, str(reason))
        elif cap is not None and recent.get(customer_id, 0) >= cap:
            record(customer, occasion, JourneyEntry.Outcome.CAPPED)
        elif held_out(journey, customer_id):
            record(customer, occasion, JourneyEntry.Outcome.HELD_OUT)
        else:
            to_message.append((customer, occasion))
    if to_message:
        entries.extend(_message(journey, to_message, now, window, result))
    JourneyEntry.objects.bulk_create(entries, batch_size=CHUNK_SIZE)


def _message(journey: Journey, chosen: list[tuple[Customer, str]], now: datetime,
             window: str, result: EnterResult) -> list[JourneyEntry]:
    """Give each chosen customer the journey's reward, then queue their messages."""
    lawful = _ad_content_problem(journey) is None
    campaign = journey.coupon_campaign
    usable = campaign is not None and _coupon_usable(campaign, now)
    entries: list[JourneyEntry] = []
    rewarded: list[tuple[Customer, str, Coupon | None, int]] = []
    for customer, occasion in chosen:
        if journey.coupon_campaign_id and not usable:
            entries.append(JourneyEntry(
                journey=journey, customer=customer, occasion=occasion, window=window,
                outcome=JourneyEntry.Outcome.SKIPPED, reason=SkipReason.COUPON_UNAVAILABLE,
                at=now))
            result.count(JourneyEntry.Outcome.SKIPPED)
            continue
        coupon, points = None, 0
        # A message the law would block anyway gets no reward (nothing to tell them).
        if lawful and campaign is not None:
            coupon = issue_coupon(actor=SYSTEM, campaign=campaign, customer_pk=customer.pk,
                                  issue_key=f"journey:{journey.pk}:{occasion}"[:100], at=now)
        if lawful and journey.points:
            earn_points(actor=SYSTEM, customer_pk=customer.pk, points=journey.points,
                        source=Source.BIRTHDAY if journey.trigger == Trigger.BIRTHDAY
                        else Source.SYSTEM,
                        idempotency_key=f"journey:{journey.pk}:{customer.pk}:{occasion}",
                        source_ref=f"journey:{journey.pk}", reason=journey.name[:100], at=now)
            points = journey.points
        rewarded.append((customer, occasion, coupon, points))
    if not rewarded:
        return entries
    values = personal_values([c for c, _o, _cp, _p in rewarded])
    drafts = []
    for customer, occasion, coupon, points in rewarded:
        language = "en" if customer.language.startswith("en") and journey.body_en.strip() \
            else "ko"
        personal = {**values[customer.pk], "reward_points": f"{points:,}",
                    "coupon": display_code(coupon.code) if coupon else "",
                    "coupon_expires": timezone.localdate(coupon.expires_at).isoformat()
                    if coupon and coupon.expires_at else ""}
        content = rendering.render(channel=journey.channel,
                                   subject=getattr(journey, f"subject_{language}"),
                                   body=getattr(journey, f"body_{language}"),
                                   values=personal, brand=journey.brand, language=language)
        drafts.append(Draft(customer=customer, subject=content.subject, body=content.body,
                            html_body=content.html_body, language=language,
                            dedupe_key=f"journey:{journey.pk}:{customer.pk}:{occasion}"))
    messages = queue_messages(channel=journey.channel, purpose=message_purpose(journey),
                              drafts=drafts, source=f"journey:{journey.pk}")
    for (customer, occasion, coupon, points), message in zip(rewarded, messages, strict=True):
        blocked = message.status == MessageStatus.BLOCKED
        entries.append(JourneyEntry(
            journey=journey, customer=customer, occasion=occasion, window=window,
            message=message, coupon=coupon, points=points, at=now,
            outcome=JourneyEntry.Outcome.BLOCKED if blocked else JourneyEntry.Outcome.MESSAGED,
            reason=message.block_reason if blocked else ""))
        result.count(JourneyEntry.Outcome.BLOCKED if blocked else JourneyEntry.Outcome.MESSAGED)
    return entries


def _coupon_usable(campaign: CouponCampaign, now: datetime) -> bool:
    return campaign.active and (campaign.ends_at is None or campaign.ends_at > now) and (
        campaign.starts_at is None or campaign.starts_at <= now)


def _ad_content_problem(journey: Journey) -> BlockReason | None:
    """Why the journey's ads cannot be made lawful (no sender configured, a look-alike
    label), else None; checked before any coupon or points are given."""
    if journey.purpose != Purpose.AD:
        return None
    try:
        if journey.channel == Channel.EMAIL:
            compliance.email_ad_content(subject=journey.subject_ko, body=journey.body_ko,
                                        html_body="", headers={}, language="ko",
                                        unsubscribe_url="https://example.invalid/")
        else:
            compliance.label_text_ad(journey.body_ko)
    except compliance.AdContentError as error:
        return error.reason
    return None


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=compliance.business_zone())


# --- preview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JourneyPreview:
    language: str
    subject: str
    body: str
    warning: str = ""


def preview_journey(journey: Journey) -> list[JourneyPreview]:
    """The journey's message in each of its languages for a made-up customer, with an
    example coupon and the law's additions for an ad (label, sender, opt-out)."""
    shown = []
    example = {"name": _("Kim Dangol"), "tier": _("Gold"), "points": "1,200",
               "region": _("Seoul"), "customer_id": "C000001", "recommendations": "",
               "coupon": "ABCD-EFGH-JKMN", "reward_points": f"{journey.points or 0:,}",
               "coupon_expires": (timezone.localdate() + timedelta(days=14)).isoformat()}
    for language in ("ko", "en"):
        body = getattr(journey, f"body_{language}")
        if not body.strip():
            continue
        content = rendering.render(channel=journey.channel,
                                   subject=getattr(journey, f"subject_{language}"),
                                   body=body, values=example, brand=None, language=language)
        subject, text, warning = content.subject, content.body, ""
        if journey.purpose == Purpose.AD:
            try:
                if journey.channel == Channel.EMAIL:
                    lawful = compliance.email_ad_content(
                        subject=subject, body=text, html_body="", headers={},
                        language=language, unsubscribe_url="https://…/unsubscribe/…")
                    subject, text = lawful.subject, lawful.body
                else:
                    text = compliance.label_text_ad(text)
            except compliance.AdContentError as error:
                warning = str(error.reason.label)
        shown.append(JourneyPreview(language, subject, text, warning))
    return shown
