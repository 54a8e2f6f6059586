"""Personal invitations: a real SMTP server receives them; one link, one response."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import SYSTEM, Actor
from dangol.customers.models import Customer
from dangol.surveys.models import Invitation, Response, Trigger
from dangol.surveys.services.invitations import (
    invite_customers,
    make_token,
    run_triggers,
    send_reminders,
)
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory


def _invite(survey, customers, *, wave="w1", channel="email", now=None):
    return invite_customers(actor=SYSTEM, survey=survey, customers=customers,
                            channel=channel, wave=wave, now=now)


def _link(mail) -> str:
    return re.search(r"http://\S+/i/\S+/", mail.text()).group(0)


def test_the_invitation_arrives_by_smtp_and_its_link_accepts_one_response(
        nps_survey, smtp_server, django_capture_on_commit_callbacks) -> None:
    customer = CustomerFactory(email="kim@example.com", language="ko", name="김단골")
    with django_capture_on_commit_callbacks(execute=True):
        result = _invite(nps_survey, Customer.objects.filter(pk=customer.pk))
    assert result.invited == 1
    [mail] = smtp_server.messages
    assert mail["To"] == "kim@example.com"
    assert mail["Subject"] == "고객 만족 조사"
    path = _link(mail).split("localhost:8000")[1]

    client = Client()
    assert client.get(path).status_code == 200
    invitation = Invitation.objects.get()
    assert invitation.opened_at is not None
    client.post(path, {"screen": "0", "q-nps": "10"})
    assert Invitation.objects.get().status == Invitation.Status.STARTED
    client.post(path, {"screen": "2", "q-best": "price"})
    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED
    assert response.customer == customer
    assert Invitation.objects.get().status == Invitation.Status.COMPLETED

    # The same link again, even from another device: nothing changes, and it says so.
    second = Client().post(path, {"screen": "0", "q-nps": "0"})
    assert second.status_code == 409
    assert Response.objects.get().answers["nps"] == 10


def test_a_tampered_or_expired_link_shows_a_friendly_page_and_stores_nothing(
        nps_survey) -> None:
    customer = CustomerFactory(email="a@example.com")
    _invite(nps_survey, Customer.objects.filter(pk=customer.pk))
    invitation = Invitation.objects.get()
    token = make_token(invitation)
    tampered = Client().post(f"/i/{token[:-2]}xx/", {"screen": "0", "q-nps": "3"})
    assert tampered.status_code == 404
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    expired = Client().post(f"/i/{token}/", {"screen": "0", "q-nps": "3"})
    assert expired.status_code == 404
    assert Response.objects.count() == 0


def test_nobody_is_invited_twice_in_a_wave_or_within_the_contact_window(
        nps_survey, owner, settings) -> None:
    settings.SURVEY_CONTACT_DAYS = 30
    customers = [CustomerFactory(email=f"c{i}@example.com") for i in range(3)]
    everyone = Customer.objects.filter(pk__in=[c.pk for c in customers])
    assert _invite(nps_survey, everyone).invited == 3
    again = _invite(nps_survey, everyone)
    assert again.invited == 0 and again.skipped == {"already_invited": 3}
    later = _invite(nps_survey, everyone, wave="w2", now=timezone.now() + timedelta(days=10))
    assert later.skipped == {"contacted_recently": 3}
    month_later = _invite(nps_survey, everyone, wave="w3",
                          now=timezone.now() + timedelta(days=31))
    assert month_later.invited == 3


def test_a_customer_without_an_address_is_skipped_with_the_reason(nps_survey) -> None:
    customer = CustomerFactory(email="")
    result = _invite(nps_survey, Customer.objects.filter(pk=customer.pk))
    assert result.invited == 0
    assert list(result.skipped) == ["no_address"]


def test_reminders_go_to_non_responders_only_and_at_most_m_times(
        nps_survey, owner, smtp_server, django_capture_on_commit_callbacks) -> None:
    nps_survey.reminder_after_days = 3
    nps_survey.max_reminders = 1
    nps_survey.save()
    quiet, answered = CustomerFactory(email="q@example.com"), CustomerFactory(email="a@ex.com")
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(nps_survey, Customer.objects.filter(pk__in=[quiet.pk, answered.pk]), now=start)
    Invitation.objects.filter(customer=answered).update(
        completed_at=start, status=Invitation.Status.COMPLETED)
    assert send_reminders(now=start + timedelta(days=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(now=start + timedelta(days=4)) == 1
    assert send_reminders(now=start + timedelta(days=8)) == 0
    reminder = smtp_server.messages[-1]
    assert reminder["To"] == "q@example.com"
    assert reminder["Subject"].startswith("알림") or "Reminder" in reminder["Subject"]


def test_the_after_order_trigger_invites_once_per_order(nps_survey) -> None:
    customer = CustomerFactory(email="buyer@example.com")
    now = timezone.now()
    OrderFactory(customer=customer, ordered_at=now - timedelta(days=3, hours=2))
    Trigger.objects.create(survey=nps_survey, kind=Trigger.Kind.AFTER_ORDER, days=3)
    first = run_triggers(now=now)
    assert sum(r.invited for r in first.values()) == 1
    second = run_triggers(now=now + timedelta(hours=1))
    assert sum(r.invited for r in second.values()) == 0
    assert Invitation.objects.get().wave.startswith("order:")


def test_the_quarterly_trigger_invites_active_customers(nps_survey) -> None:
    active, lapsed = CustomerFactory(email="x@example.com"), CustomerFactory(email="y@ex.com")
    now = timezone.now()
    OrderFactory(customer=active, ordered_at=now - timedelta(days=40))
    OrderFactory(customer=lapsed, ordered_at=now - timedelta(days=500))
    Trigger.objects.create(survey=nps_survey, kind=Trigger.Kind.QUARTERLY)
    run_triggers(now=now)
    assert list(Invitation.objects.values_list("customer_id", flat=True)) == [active.pk]


@pytest.mark.parametrize("channel", ["sms"])
def test_sms_invitations_reach_the_provider(nps_survey, fake_sms_provider, channel,
                                            django_capture_on_commit_callbacks) -> None:
    customer = CustomerFactory(phone="+821012345678")
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(nps_survey, Customer.objects.filter(pk=customer.pk),
                       channel=channel).invited == 1
    [request] = fake_sms_provider.requests
    assert "/i/" in request.json["text"]


def test_sending_needs_the_permission(nps_survey, db) -> None:
    from dangol.core.errors import PermissionDenied
    from tests.conftest import make_staff

    agent = make_staff("agent")
    with pytest.raises(PermissionDenied):
        invite_customers(actor=Actor(user=agent), survey=nps_survey,
                         customers=Customer.objects.all(), channel="email", wave="x")


def test_the_thank_you_page_shows_the_points_earned(nps_survey) -> None:
    from dangol.loyalty.models import Program

    Program.objects.create(name="단골 포인트", is_default=True, survey_points=500)
    customer = CustomerFactory(email="p@example.com", language="en")
    _invite(nps_survey, Customer.objects.filter(pk=customer.pk))
    path = f"/i/{make_token(Invitation.objects.get())}/"
    client = Client()
    client.post(path, {"screen": "0", "q-nps": "9"})
    client.post(path, {"screen": "2", "q-best": "price"})
    thanks = client.get(path).content.decode()
    assert "500 points" in thanks
    staff = Client()
    staff.force_login(make_staff("owner", "o@example.com"))
    timeline = staff.get(f"/customers/{customer.pk}/").content.decode().split(
        'data-testid="timeline"')[1].split("</ol>")[0]
    assert "+500" in timeline
    assert Response.objects.get().rewards == [{"label": "500 points for your answers",
                                               "points": 500}]


def test_the_customer_page_shows_answers_and_invitations_on_the_timeline(
        nps_survey, owner_client) -> None:
    from dangol.surveys.services.responses import submit_response

    customer = CustomerFactory(email="t@example.com")
    _invite(nps_survey, Customer.objects.filter(pk=customer.pk))
    submit_response(survey=nps_survey, answers={"nps": 9, "best": "price"},
                    customer_pk=customer.pk)
    page = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert "NPS 9" in timeline
    assert nps_survey.name in timeline
    assert "email" in timeline
    assert "고객 만족 조사" in timeline  # the invitation e-mail itself, from the outbox
