"""Journey pages: list, create and edit with field messages, a journey's entries and results."""

from datetime import date

import pytest
from django.test import Client

from dangol.accounts.permissions import Role
from dangol.campaigns.journey_models import Journey
from dangol.campaigns.journey_triggers import scan_journey
from tests.campaigns.test_journey_helpers import customer, journey, seoul
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _form(**values):
    return {"name": "Birthday", "trigger": "birthday", "days": "3", "channel": "email",
            "purpose": "ad", "subject_ko": "{{name}}님 생일 축하", "body_ko": "축하해요",
            "subject_en": "", "body_en": "", "holdout_percent": "10", "reentry_days": "300",
            "conversion_days": "7", "nps_at_most": "6", "active": "on"} | values


def test_create_a_journey_from_the_form_and_see_it_listed(owner_client):
    page = owner_client.get("/campaigns/journeys/new/", **EN)
    assert page.status_code == 200 and 'data-testid="journey-form"' in page.content.decode()
    saved = owner_client.post("/campaigns/journeys/new/", _form(), **EN)
    created = Journey.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/campaigns/journeys/{created.pk}/"
    assert created.active and created.trigger == "birthday" and created.days == 3
    listed = owner_client.get("/campaigns/journeys/", **EN).content.decode()
    assert "Birthday" in listed and 'data-active="yes"' in listed
    assert "/campaigns/journeys/" in owner_client.get("/campaigns/", **EN).content.decode()


def test_bad_values_show_field_messages_and_save_nothing(owner_client):
    page = owner_client.post("/campaigns/journeys/new/", _form(
        purpose="information", body_ko="쿠폰 {{coupon}}"), **EN)
    assert page.status_code == 422
    html = page.content.decode()
    assert 'data-field="purpose"' in html and 'data-field="body_ko"' in html
    assert "A message that gives a coupon or points is advertising." not in html  # no coupon
    assert "Birthday and win-back messages are advertising." in html
    assert "The message shows a coupon: choose the coupon." in html
    assert not Journey.objects.exists()


def test_the_journey_page_shows_entries_results_and_turns_it_off(owner_client, ad_sender,
                                                                 time_machine):
    time_machine.move_to(seoul(2026, 11, 24, 10, 0), tick=False)
    customer(birthday=date(1990, 11, 27), name="김생일")
    no_consent = customer(birthday=date(1990, 11, 27), channels=())
    j = journey(days=3)
    scan_journey(journey_id=j.pk)
    html = owner_client.get(f"/campaigns/journeys/{j.pk}/", **EN).content.decode()
    assert 'data-count="entered">2<' in html
    assert 'data-count="reason-no_consent">1<' in html
    assert "Last scan 2026-11-24 10:00: 2 entered, 0 waiting for the daytime." in html
    assert "No recorded advertising opt-in for this channel" in html
    assert "E-mail · Advertising" in html
    assert "김생일" in html and "birthday:2026" in html
    # The preview shows the ad as sent: label, sender and opt-out.
    assert "(광고) Kim Dangol님, 생일 축하드려요" in html
    assert "단골상회 · shop@dangol.test" in html
    blocked = owner_client.get(f"/campaigns/journeys/{j.pk}/?outcome=blocked",
                               **EN).content.decode()
    assert no_consent.external_id in blocked or str(no_consent) in blocked
    assert "김생일" not in blocked

    timeline = owner_client.get(f"/customers/{no_consent.pk}/", **EN).content.decode()
    assert "Journey: 생일 축하" in timeline
    assert "Blocked (No recorded advertising opt-in for this channel)" in timeline

    edit = owner_client.post(f"/campaigns/journeys/{j.pk}/edit/", _form(days="5"), **EN)
    assert edit.status_code == 302
    off = owner_client.post(f"/campaigns/journeys/{j.pk}/active/", {"active": "0"}, **EN)
    assert off.status_code == 302
    j.refresh_from_db()
    assert (j.days, j.active) == (5, False)


def test_analysts_see_journeys_but_cannot_change_them(db):
    analyst = make_staff(Role.ANALYST)
    agent = make_staff(Role.AGENT, "agent@example.com")
    j = journey()
    client = Client()
    client.force_login(analyst)
    assert client.get("/campaigns/journeys/", **EN).status_code == 200
    page = client.get(f"/campaigns/journeys/{j.pk}/", **EN).content.decode()
    assert 'data-testid="active-form"' not in page
    assert client.get("/campaigns/journeys/new/", **EN).status_code == 403
    assert client.post(f"/campaigns/journeys/{j.pk}/active/", {"active": "0"}).status_code == 403
    assert Journey.objects.get().active
    client.force_login(agent)
    assert client.get("/campaigns/journeys/", **EN).status_code == 403
