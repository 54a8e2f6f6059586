"""Two-yearly reminders of advertising consent (망법 §50⑧)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dangol.customers.models import Consent
from dangol.engagement import tasks
from dangol.engagement.models import Message
from dangol.engagement.reminders import send_consent_reminders, years_after
from tests.factories import CustomerFactory

SEOUL = ZoneInfo("Asia/Seoul")


def consent(channel: str, granted: date, *, withdrawn: date | None = None, **customer):
    return Consent.objects.create(
        customer=CustomerFactory(**customer), channel=channel, purpose="ad",
        granted_at=datetime(granted.year, granted.month, granted.day, 10, tzinfo=SEOUL),
        withdrawn_at=(datetime(withdrawn.year, withdrawn.month, withdrawn.day, 10, tzinfo=SEOUL)
                      if withdrawn else None))


def test_consents_with_an_anniversary_in_the_next_30_days_are_reminded(db, ad_sender):
    today = date(2026, 11, 23)
    due = consent("email", date(2024, 12, 20))               # 2nd anniversary in 27 days
    due_sms = consent("sms", date(2022, 11, 23))             # 4th anniversary today
    consent("email", date(2024, 12, 24))                     # 31 days ahead: not yet
    consent("email", date(2024, 11, 22))                     # was yesterday: passed
    consent("email", date(2025, 12, 1))                      # only one year old
    consent("email", date(2024, 12, 1), withdrawn=date(2025, 3, 1))  # withdrawn

    assert send_consent_reminders(today=today) == 2

    reminders = {m.customer_id: m for m in Message.objects.filter(source="consent_reminder")}
    assert set(reminders) == {due.customer_id, due_sms.customer_id}
    email = reminders[due.customer_id]
    assert (email.channel, email.purpose, email.status) == ("email", "transactional", "queued")
    assert "단골상회" in email.subject
    assert "2024-12-20" in email.body
    assert "https://shop.dangol.test/engagement/unsubscribe/" in email.body
    assert email.dedupe_key == f"consent-reminder:{due.pk}:2026-12-20"
    assert reminders[due_sms.customer_id].to_address == due_sms.customer.phone


def test_each_anniversary_is_reminded_once(db, ad_sender):
    consent("email", date(2024, 12, 20))
    send_consent_reminders(today=date(2026, 11, 23))
    send_consent_reminders(today=date(2026, 11, 24))
    tasks.send_consent_reminders_task.delay()  # today's run, whatever today is
    assert Message.objects.filter(source="consent_reminder").count() == 1


def test_leap_day_consents_have_an_anniversary_every_other_year():
    assert years_after(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert years_after(date(2024, 2, 29), 4) == date(2028, 2, 29)
