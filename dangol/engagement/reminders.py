"""Two-yearly reminders of advertising consent (정보통신망법 §50⑧, 시행령 §62의3).

Every two years from the date of an advertising opt-in, before the anniversary,
the customer is told the sender, the consent and its date, and how to keep or
withdraw it. Silence keeps the consent (COMPLIANCE.md R8).

``services`` is imported as a module and its names are read at call time: it
imports ``tasks``, which imports this module for the daily task.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.customers.models import Consent
from dangol.customers.selectors import ad_consents_granted_within
from dangol.engagement import compliance, services
from dangol.engagement.models import Channel, Purpose
from dangol.engagement.tokens import unsubscribe_url

EVERY_YEARS = 2
LEAD_DAYS = 30
# Consents older than this are still reminded; the range only bounds the query.
OLDEST_YEARS = 30
BATCH = 1000


def years_after(day: date, years: int) -> date:
    """``day`` moved by whole ``years``; 29 February becomes the 28th in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def send_consent_reminders(*, today: date | None = None, lead_days: int = LEAD_DAYS) -> int:
    """Queue a reminder for each ad consent with an anniversary in the next ``lead_days``.

    Each anniversary is reminded once (the dedupe key names the consent and the
    anniversary), so a day the scheduler missed is made up the next day. Each
    batch of 1,000 is its own short transaction. Returns the number of consents due.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=lead_days)
    zone = compliance.business_zone()
    ranges = []
    for years in range(EVERY_YEARS, OLDEST_YEARS + 1, EVERY_YEARS):
        start = years_after(today, -years)
        end = years_after(horizon, -years) + timedelta(days=1)
        ranges.append((datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)))
    pending: dict[str, list[services.Draft]] = {}
    due = 0
    for consent in ad_consents_granted_within(ranges=ranges, channels=list(Channel.values)) \
            .iterator(chunk_size=BATCH):
        anniversary = _anniversary(consent, today, horizon)
        if anniversary is None:
            continue
        due += 1
        drafts = pending.setdefault(consent.channel, [])
        drafts.append(_draft(consent, anniversary))
        if len(drafts) >= BATCH:
            _flush(consent.channel, drafts)
    for channel, drafts in pending.items():
        _flush(channel, drafts)
    return due


def _anniversary(consent: Consent, today: date, horizon: date) -> date | None:
    granted = timezone.localtime(consent.granted_at).date()
    for years in range(EVERY_YEARS, OLDEST_YEARS + 1, EVERY_YEARS):
        day = years_after(granted, years)
        if today <= day <= horizon:
            return day
    return None


def _draft(consent: Consent, anniversary: date) -> services.Draft:
    customer = consent.customer
    language = "en" if customer.language.startswith("en") else "ko"
    granted = timezone.localtime(consent.granted_at).date()
    with translation.override(language):
        values = {"sender": compliance.sender()["name"] or "Dangol",
                  "date": granted.isoformat(), "channel": Channel(consent.channel).label,
                  "url": unsubscribe_url(customer_id=customer.pk, channel=consent.channel)}
        subject = _("%(sender)s: your consent to advertising") % values
        body = _("On %(date)s you agreed to receive advertising from %(sender)s by "
                 "%(channel)s. To keep it, do nothing. To withdraw it, free of charge: "
                 "%(url)s") % values
    return services.Draft(customer=customer, subject=subject, body=body, language=language,
                 dedupe_key=f"consent-reminder:{consent.pk}:{anniversary.isoformat()}")


def _flush(channel: str, drafts: list[services.Draft]) -> None:
    with transaction.atomic():
        services.queue_messages(channel=channel, purpose=Purpose.TRANSACTIONAL, drafts=drafts,
                       source="consent_reminder")
    drafts.clear()
