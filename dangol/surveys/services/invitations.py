"""Personal invitations: who is invited, the signed link, reminders and triggers.

A personal link carries a signed token naming the invitation; it expires
with the invitation and accepts exactly one response. Every invitation and
reminder goes out through the messaging outbox (``engagement``), which
applies the law's consent and night-time rules.

Contact frequency: a customer is not invited again within
``DANGOL_SURVEY_CONTACT_DAYS`` days (30 by default) of the last invitation or
reminder of any survey.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, ValidationFailed
from dangol.customers.models import Customer, Order
from dangol.engagement.selectors import can_contact
from dangol.engagement.services import queue_message
from dangol.surveys.definition import localized
from dangol.surveys.models import Invitation, Survey, Trigger
from dangol.surveys.services.surveys import is_open

TOKEN_SALT = "dangol.surveys.invitation"  # noqa: S105 - a signing salt, not a secret
CHANNELS = ("email", "sms", "kakao")


class InvalidLink(DomainError):
    status = 404
    code = "link_invalid"


@dataclass
class InviteResult:
    invited: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def contact_days() -> int:
    return int(getattr(settings, "SURVEY_CONTACT_DAYS", 30))


def make_token(invitation: Invitation) -> str:
    return signing.dumps([invitation.pk, invitation.nonce], salt=TOKEN_SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    return settings.DANGOL_PUBLIC_URL.rstrip("/") + reverse(
        "survey_public:invitation", args=[make_token(invitation)])


def read_token(token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation a link names. Raises InvalidLink for a tampered or expired link."""
    try:
        pk, nonce = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidLink(_("This survey link is not valid.")) from None
    invitation = Invitation.objects.select_related("survey", "customer").filter(
        pk=pk, nonce=nonce).first()
    if invitation is None:
        raise InvalidLink(_("This survey link is not valid."))
    if (now or timezone.now()) >= invitation.expires_at:
        raise InvalidLink(_("This survey link has expired."), code="link_expired")
    return invitation


def mark_opened(invitation: Invitation) -> None:
    """Record the first opening of a link (later states are never moved back)."""
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now())
        Invitation.objects.filter(
            pk=invitation.pk, status__in=[Invitation.Status.QUEUED, Invitation.Status.SENT,
                                          Invitation.Status.DELIVERED]
        ).update(status=Invitation.Status.OPENED)


def recently_contacted(customer_pks: Iterable[int], *, now: datetime) -> set[int]:
    """Customers invited or reminded by any survey within the contact-frequency window."""
    since = now - timedelta(days=contact_days())
    return set(Invitation.objects.filter(customer_id__in=list(customer_pks),
                                         last_contacted_at__gte=since)
               .values_list("customer_id", flat=True))


def invite_customers(
    *,
    actor: Actor,
    survey: Survey,
    customers: QuerySet[Customer],
    channel: str,
    wave: str,
    now: datetime | None = None,
) -> InviteResult:
    """Invite each of ``customers`` to ``survey`` on ``channel`` (once per ``wave``).

    Skips, and counts by reason, customers already invited in this wave,
    contacted within the frequency window, or without the address or consent
    the channel needs. Messages are queued in the outbox and sent after commit.
    Raises DomainError when the survey is not open.
    """
    require(actor, "surveys.send")
    if channel not in CHANNELS:
        raise ValidationFailed([FieldProblem("channel", _("Choose e-mail, SMS or KakaoTalk."))])
    reason = is_open(survey)
    if reason:
        raise DomainError(reason, code="survey_closed", status=409)
    now = now or timezone.now()
    result = InviteResult()
    purpose = "ad" if survey.purpose == Survey.Purpose.AD else "transactional"
    for chunk in _chunks(customers.order_by("pk"), 500):
        with transaction.atomic():
            busy = recently_contacted([c.pk for c in chunk], now=now)
            already = set(Invitation.objects.filter(
                survey=survey, wave=wave, customer_id__in=[c.pk for c in chunk])
                .values_list("customer_id", flat=True))
            for customer in chunk:
                if customer.pk in already:
                    result.skip("already_invited")
                elif customer.pk in busy:
                    result.skip("contacted_recently")
                elif (block := can_contact(customer=customer, channel=channel,
                                           purpose=purpose, at=now)) is not None:
                    result.skip(str(block))
                else:
                    if _invite_one(survey, customer, channel=channel, wave=wave, now=now):
                        result.invited += 1
                    else:
                        result.skip("already_invited")
    record_audit(actor=actor, action="invite", obj=survey, fields=["invitations"])
    return result


def _chunks(queryset: QuerySet[Customer], size: int) -> Iterable[list[Customer]]:
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last)[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def _invite_one(survey: Survey, customer: Customer, *, channel: str, wave: str,
                now: datetime) -> Invitation | None:
    language = customer.language if customer.language in survey.languages \
        else survey.default_language
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                survey=survey, customer=customer, channel=channel, language=language,
                wave=wave, expires_at=now + timedelta(days=survey.invitation_days),
                last_contacted_at=now)
    except IntegrityError:
        return None
    _send(invitation, reminder=False)
    return invitation


def _send(invitation: Invitation, *, reminder: bool) -> None:
    """Queue the invitation (or a reminder) message in the outbox."""
    survey = invitation.survey
    language = invitation.language
    title = localized(survey.title, language, survey.default_language)
    url = invitation_url(invitation)
    context = {"survey_title": title, "url": url, "customer": invitation.customer,
               "reminder": reminder, "expires_at": invitation.expires_at}
    with translation.override(language):
        if invitation.channel == "email":
            subject = (_("Reminder: %(title)s") if reminder else "%(title)s") % {"title": title}
            body = render_to_string("surveys/messages/invitation.txt", context)
            html = render_to_string("surveys/messages/invitation.html", context)
        else:
            subject, html = "", None
            body = render_to_string("surveys/messages/invitation_sms.txt", context)
    number = invitation.reminders_sent if reminder else 0
    message = queue_message(
        customer=invitation.customer, channel=invitation.channel,
        purpose="ad" if survey.purpose == Survey.Purpose.AD else "transactional",
        subject=subject.strip(), body=body.strip(), html_body=html, language=language,
        source="survey_reminder" if reminder else "survey_invitation",
        dedupe_key=f"survey-invitation:{invitation.pk}:{number}",
    )
    status = {"blocked": Invitation.Status.BLOCKED, "failed": Invitation.Status.FAILED}.get(
        message.status)
    updates: dict[str, object] = {"message_id": message.pk}
    if status is not None and invitation.status == Invitation.Status.QUEUED:
        updates.update(status=status, detail=message.get_block_reason_display()
                       if message.block_reason else message.error[:300])
    Invitation.objects.filter(pk=invitation.pk).update(**updates)


def send_reminders(*, now: datetime | None = None) -> int:
    """Remind invitees who have not completed, ``reminder_after_days`` after the last contact.

    At most ``max_reminders`` per invitation; never after the link expired or the
    survey closed. Safe to run twice: a reminder is keyed by its number.
    """
    now = now or timezone.now()
    sent = 0
    for survey in Survey.objects.filter(status=Survey.Status.LIVE,
                                        reminder_after_days__isnull=False):
        if is_open(survey, now=now):
            continue
        due = Invitation.objects.filter(
            survey=survey, completed_at__isnull=True, expires_at__gt=now,
            reminders_sent__lt=survey.max_reminders,
            last_contacted_at__lte=now - timedelta(days=survey.reminder_after_days),
        ).exclude(status__in=[Invitation.Status.BLOCKED, Invitation.Status.COMPLETED])
        for invitation in due.select_related("customer", "survey").iterator(chunk_size=500):
            with transaction.atomic():
                updated = Invitation.objects.filter(
                    pk=invitation.pk, reminders_sent=invitation.reminders_sent,
                    completed_at__isnull=True,
                ).update(reminders_sent=invitation.reminders_sent + 1, last_contacted_at=now)
                if not updated:
                    continue
                invitation.reminders_sent += 1
                _send(invitation, reminder=True)
                sent += 1
    return sent


def quarter_of(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def run_triggers(*, now: datetime | None = None) -> dict[int, InviteResult]:
    """Run every active trigger of every open survey once; safe to run as often as wanted.

    After-order triggers invite the customer of each order placed ``days``
    days ago (waves ``order:<id>``, so one invitation per order); quarterly
    triggers invite customers with an order in the last 12 months (wave
    ``2026Q4``).
    """
    now = now or timezone.now()
    results: dict[int, InviteResult] = {}
    for trigger in Trigger.objects.filter(active=True, survey__status=Survey.Status.LIVE) \
            .select_related("survey"):
        survey = trigger.survey
        if is_open(survey, now=now):
            continue
        if trigger.kind == Trigger.Kind.AFTER_ORDER:
            results[trigger.pk] = _after_order(trigger, now=now)
        else:
            active = Customer.objects.filter(
                orders__ordered_at__gte=now - timedelta(days=365)).distinct()
            results[trigger.pk] = invite_customers(
                actor=SYSTEM, survey=survey, customers=active, channel=trigger.channel,
                wave=quarter_of(now), now=now)
        Trigger.objects.filter(pk=trigger.pk).update(last_run_at=now)
    return results


def _after_order(trigger: Trigger, *, now: datetime) -> InviteResult:
    since = trigger.last_run_at or (now - timedelta(days=1))
    window_end = now - timedelta(days=trigger.days)
    window_start = min(since - timedelta(days=trigger.days), window_end - timedelta(days=1))
    orders = Order.objects.filter(ordered_at__gt=window_start, ordered_at__lte=window_end,
                                  status="placed").values_list("pk", "customer_id")
    result = InviteResult()
    latest: dict[int, int] = {}
    for order_pk, customer_pk in orders:
        latest[customer_pk] = max(order_pk, latest.get(customer_pk, 0))
    for customer_pk, order_pk in latest.items():
        partial = invite_customers(actor=SYSTEM, survey=trigger.survey,
                                   customers=Customer.objects.filter(pk=customer_pk),
                                   channel=trigger.channel, wave=f"order:{order_pk}", now=now)
        result.invited += partial.invited
        for reason, count in partial.skipped.items():
            result.skipped[reason] = result.skipped.get(reason, 0) + count
    return result
