"""Notices of points about to expire (COMPLIANCE.md R24).

The voluntary standard of the FTC and KCA asks for notices 2 months, 1 month
and 3 days before points expire, on at least two channels. The daily job sends,
for every customer and expiry date, the notice of the nearest window not yet
sent, by e-mail and by SMS where the customer has an address and a number,
through the engagement outbox (``queue_messages``; purpose transactional).
Dedupe keys make a second run, or a missed day, send nothing twice.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.engagement.models import Channel, Purpose
from dangol.engagement.services import Draft, queue_messages
from dangol.loyalty.models import Account, Lot
from dangol.loyalty.tokens import card_url

#: Days before expiry on which customers are told, farthest first.
WINDOWS = (60, 30, 3)


def send_expiry_notices(*, at: datetime | None = None) -> int:
    """Queue the due expiry notices; returns how many (customer, date) notices were due.

    Safe to run twice. Raises nothing for a customer without contact details
    (they are skipped); the outbox records consent and law checks.
    """
    at = at or timezone.now()
    today = timezone.localdate(at)
    horizon = timezone.make_aware(
        datetime.combine(today + timedelta(days=WINDOWS[0] + 1), datetime.min.time())
    )
    due: dict[tuple[int, date], int] = defaultdict(int)
    rows = (
        Lot.objects.filter(remaining__gt=0, expires_at__gt=at, expires_at__lt=horizon)
        .values_list("account_id", "expires_at")
        .annotate(points=Sum("remaining"))
    )
    for account_id, expires_at, points in rows:
        due[(account_id, timezone.localdate(expires_at))] += points
    if not due:
        return 0
    customers = dict(
        Account.objects.filter(pk__in={a for a, _ in due}).values_list("pk", "customer_id")
    )
    people = Customer.objects.in_bulk(set(customers.values()))
    drafts: dict[str, list[Draft]] = {Channel.EMAIL: [], Channel.SMS: []}
    for (account_id, day), points in sorted(due.items()):
        window = min(w for w in WINDOWS if w >= (day - today).days)
        customer = people[customers[account_id]]
        key = f"loyalty-expiry:{account_id}:{day.isoformat()}:{window}"
        subject, body = _notice(customer, points, day)
        if customer.email:
            drafts[Channel.EMAIL].append(
                Draft(
                    customer=customer,
                    subject=subject,
                    body=body,
                    language=customer.language,
                    dedupe_key=f"{key}:email",
                )
            )
        if customer.phone:
            drafts[Channel.SMS].append(
                Draft(
                    customer=customer,
                    body=body,
                    language=customer.language,
                    dedupe_key=f"{key}:sms",
                )
            )
    with transaction.atomic():
        for channel, batch in drafts.items():
            if batch:
                queue_messages(
                    channel=channel,
                    purpose=Purpose.TRANSACTIONAL,
                    drafts=batch,
                    source="loyalty.expiry",
                )
    return len(due)


def _notice(customer: Customer, points: int, day: date) -> tuple[str, str]:
    with translation.override(customer.language or "ko"):
        subject = _("Your points expire on %(date)s") % {
            "date": formats.date_format(day, "SHORT_DATE_FORMAT")
        }
        body = _("%(points)s points of yours expire on %(date)s. Use them before then: %(url)s") % {
            "points": f"{points:,}",
            "date": formats.date_format(day, "SHORT_DATE_FORMAT"),
            "url": card_url(customer_pk=customer.pk),
        }
    return subject, body
