"""What the law requires of a message to a customer (COMPLIANCE.md R1–R6, R20, R21).

Korean ads (정보통신망법 §50) need a recorded opt-in per channel, stop after a
withdrawal, are refused over SMS/KakaoTalk between 21:00 and 08:00 without a
separate night-time consent (e-mail is exempt), and carry the advertiser's
label and a free opt-out. The same quiet hours are kept in the recipient's
own time zone for numbers abroad (TCPA, 47 CFR 64.1200(c)(1)).
"""

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from phonenumbers import timezone as phone_timezone

from dangol.customers.models import Consent, Customer
from dangol.customers.selectors import find_consent
from dangol.engagement.models import BlockReason, Channel, Purpose

AD_LABEL = "(광고)"
QUIET_FROM = time(21, 0)
# Kakao's providers stop FriendTalk and brand messages at 20:50 (NHN Cloud docs).
KAKAO_QUIET_FROM = time(20, 50)
QUIET_UNTIL = time(8, 0)
# "[광고]", "(광 고)", "<광고>", full-width brackets: labels the law does not accept.
_LOOKALIKE_LABEL = re.compile(r"^\s*[(\[<{（【〈《「]\s*광\s*고\s*[)\]>}）】〉》」]")
_TEXT_CHANNELS = {Channel.SMS.value, Channel.KAKAO.value}


class AdContentError(Exception):
    """An ad's text cannot be made lawful; ``reason`` says why."""

    def __init__(self, reason: BlockReason):
        super().__init__(reason.label)
        self.reason = reason


@dataclass
class Content:
    """A message's text as it will be sent, after the law's additions."""

    subject: str
    body: str
    html_body: str
    headers: dict[str, str] = field(default_factory=dict)


def address_for(customer: Customer, channel: str) -> str:
    """The e-mail address or E.164 phone number that ``channel`` reaches ``customer`` at."""
    return customer.email if channel == Channel.EMAIL else customer.phone


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def quiet_from(channel: str) -> time:
    return KAKAO_QUIET_FROM if channel == Channel.KAKAO else QUIET_FROM


def in_quiet_hours(at: datetime, zone: ZoneInfo, start: time = QUIET_FROM) -> bool:
    local = at.astimezone(zone).time()
    return local >= start or local < QUIET_UNTIL


def recipient_zones(phone: str) -> list[ZoneInfo]:
    """The time zones a phone number may ring in (one for Korea, several for the US)."""
    try:
        number = phonenumbers.parse(phone, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return []
    zones = []
    for name in phone_timezone.time_zones_for_number(number):
        try:
            zones.append(ZoneInfo(name))
        except (KeyError, ValueError):
            continue  # "Etc/Unknown" and names this system lacks
    return zones


def contact_block(*, customer: Customer, channel: str, purpose: str,
                  at: datetime) -> BlockReason | None:
    """The reason the law (or a missing address) forbids this contact now, else None."""
    consent = None
    if purpose == Purpose.AD:
        consent = find_consent(customer_id=customer.pk, channel=channel, purpose="ad")
    return contact_block_with(customer=customer, channel=channel, purpose=purpose, at=at,
                              consent=consent)


def contact_block_with(*, customer: Customer, channel: str, purpose: str, at: datetime,
                       consent: Consent | None) -> BlockReason | None:
    """contact_block with the customer's ad consent for ``channel`` already read."""
    address = address_for(customer, channel)
    if not address:
        return BlockReason.NO_ADDRESS
    if purpose != Purpose.AD:
        return None
    if consent is None or consent.granted_at is None:
        return BlockReason.NO_CONSENT
    if not consent.is_granted:
        return BlockReason.CONSENT_WITHDRAWN
    if channel in _TEXT_CHANNELS and not consent.night_allowed:
        zones = [business_zone(), *recipient_zones(address)]
        if any(in_quiet_hours(at, zone, quiet_from(channel)) for zone in zones):
            return BlockReason.NIGHT_TIME
    return None


def next_daytime(at: datetime, phone: str, channel: str = Channel.SMS) -> datetime:
    """The first moment from ``at`` that is outside quiet hours for this recipient."""
    zones = [business_zone(), *recipient_zones(phone)]
    start = quiet_from(channel)
    candidate = at
    # Each zone allows 13 hours a day, so any two zones share some daytime; jumping
    # to the next morning of a zone that is still quiet reaches it in a few steps.
    for _step in range(4 * len(zones) + 1):
        noisy = [z for z in zones if in_quiet_hours(candidate, z, start)]
        if not noisy:
            return candidate
        local = candidate.astimezone(noisy[0])
        if local.time() >= start:
            local += timedelta(days=1)
        candidate = local.replace(hour=QUIET_UNTIL.hour, minute=QUIET_UNTIL.minute, second=0,
                                  microsecond=0)
    return candidate


# --- the ad's label, sender and opt-out ------------------------------------------------


def sender() -> dict[str, str]:
    return {
        "name": settings.DANGOL_SENDER_NAME.strip(),
        "email": settings.DANGOL_SENDER_EMAIL.strip(),
        "phone": settings.DANGOL_SENDER_PHONE.strip(),
        "address": settings.DANGOL_SENDER_ADDRESS.strip(),
        "optout": settings.DANGOL_OPTOUT_NUMBER.strip(),
    }


def label_text_ad(body: str) -> str:
    """An SMS/KakaoTalk ad body that starts with ``(광고)<sender>`` and ends with the opt-out.

    Adds what is missing; raises AdContentError for a look-alike label
    (``[광고]``, ``(광 고)``) or a ``(광고)`` not followed by the sender's name.
    """
    info = sender()
    if not info["name"] or not info["optout"]:
        raise AdContentError(BlockReason.SENDER_NOT_CONFIGURED)
    text = body.strip()
    if text.startswith(AD_LABEL):
        if not text[len(AD_LABEL):].lstrip().startswith(info["name"]):
            raise AdContentError(BlockReason.AD_LABEL_MALFORMED)
    elif _LOOKALIKE_LABEL.match(text):
        raise AdContentError(BlockReason.AD_LABEL_MALFORMED)
    else:
        text = f"{AD_LABEL}{info['name']}\n{text}"
    optout = optout_line()
    if not text.endswith(optout):
        text = f"{text}\n{optout}"
    return text


def optout_line() -> str:
    return f"무료거부 {settings.DANGOL_OPTOUT_NUMBER.strip()}"


def label_email_subject(subject: str) -> str:
    """An e-mail ad's subject that starts with ``(광고)``; look-alike labels are refused."""
    text = subject.strip()
    if text.startswith(AD_LABEL):
        return text
    if _LOOKALIKE_LABEL.match(text):
        raise AdContentError(BlockReason.AD_LABEL_MALFORMED)
    return f"{AD_LABEL} {text}"


def email_ad_content(*, subject: str, body: str, html_body: str, headers: dict[str, str],
                     unsubscribe_url: str, language: str) -> Content:
    """An e-mail ad with its label, the sender's details and a no-login unsubscribe.

    The footer is in Korean and English (the customer's language first); the
    List-Unsubscribe headers let mail programs offer one-click unsubscribe (RFC 8058).
    """
    info = sender()
    if not all(info[k] for k in ("name", "email", "phone", "address")):
        raise AdContentError(BlockReason.SENDER_NOT_CONFIGURED)
    languages = ["en", "ko"] if language.startswith("en") else ["ko", "en"]
    identity = " · ".join(info[k] for k in ("name", "email", "phone", "address"))
    lines = [_unsubscribe_line(lang, unsubscribe_url) for lang in languages]
    text = "\n".join([body.rstrip(), "", "--", identity, *lines])
    rich = html_body
    if html_body:
        items = "".join(f"<p>{html.escape(line)}</p>" for line in [identity, *lines])
        footer = f'<hr><div class="dangol-footer" style="font-size:12px;color:#666">{items}</div>'
        closing = html_body.lower().rfind("</body>")
        rich = (html_body[:closing] + footer + html_body[closing:] if closing >= 0
                else html_body + footer)
    return Content(
        subject=label_email_subject(subject),
        body=text,
        html_body=rich,
        headers={
            **headers,
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _unsubscribe_line(language: str, url: str) -> str:
    with translation.override(language):
        return _("To stop receiving these advertising e-mails, unsubscribe (free, no login): "
                 "%(url)s") % {"url": url}
