"""Campaign pages: the form with its preview, sending, results, permissions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.campaigns import services
from dangol.campaigns.models import Campaign, CampaignSettings, Recipient
from tests.campaigns.conftest import grant, make_campaign
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory


@pytest.fixture
def marketer_client(db):
    client = Client()
    client.force_login(make_staff("marketer"))
    return client


def _form(segment, **values):
    return {"name": "봄 세일", "segment": segment.pk, "channel": "email", "purpose": "ad",
            "subject": "{{name}}님께", "body": "{{name}}님, 봄 세일!", "brand": "",
            "holdout_percent": "10", "conversion_days": "7"} | values


def test_a_marketer_creates_a_campaign_from_the_segment_page_and_sends_it(
        marketer_client, seoul_segment, smtp_server, ad_sender,
        django_capture_on_commit_callbacks):
    grant(CustomerFactory(name="김단골", region="서울", email="kim@example.com"))
    page = marketer_client.get(f"/segments/{seoul_segment.pk}/")
    assert f"/campaigns/new/?segment={seoul_segment.pk}" in page.content.decode()
    form = marketer_client.get(f"/campaigns/new/?segment={seoul_segment.pk}")
    assert form.context["form"].initial["segment"] == str(seoul_segment.pk)

    preview = marketer_client.post("/campaigns/preview/", _form(seoul_segment))
    assert "(광고) 김단골님께" in preview.content.decode()
    created = marketer_client.post("/campaigns/new/", _form(seoul_segment, holdout_percent="0"))
    campaign = Campaign.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/campaigns/{campaign.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        marketer_client.post(f"/campaigns/{campaign.pk}/send/", {"send_at": ""})
    assert Campaign.objects.get().status == Campaign.Status.SENT
    assert [m["To"] for m in smtp_server.messages] == ["kim@example.com"]
    detail = marketer_client.get(f"/campaigns/{campaign.pk}/")
    assert detail.context["results"].sent == 1
    assert AuditEntry.objects.filter(object_type="campaigns.campaign",
                                     action="schedule").exists()


def test_a_bad_template_on_the_page_names_the_field_and_saves_nothing(
        marketer_client, seoul_segment):
    response = marketer_client.post("/campaigns/new/", _form(seoul_segment, body="{{쿠폰}} {{x}}"))
    assert response.status_code == 422
    assert "body" in response.context["form"].errors
    assert "{{x}}" in response.context["form"].errors["body"][0]
    assert Campaign.objects.count() == 0
    preview = marketer_client.post("/campaigns/preview/", _form(seoul_segment, body="{{x}}"))
    assert 'data-field="body"' in preview.content.decode()


def test_a_test_send_reaches_the_address_only(marketer_client, owner, seoul_segment,
                                              smtp_server, ad_sender):
    CustomerFactory(name="김단골", region="서울", email="kim@example.com")
    campaign = make_campaign(owner, seoul_segment)
    marketer_client.post(f"/campaigns/{campaign.pk}/test/", {"address": "me@shop.test"})
    [mail] = smtp_server.messages
    assert mail["To"] == "me@shop.test"
    assert "(광고) 김단골님, 겨울 세일" in mail["Subject"]
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


def test_results_show_the_uplift_against_the_holdout(owner_client, owner, seoul_segment,
                                                     ad_sender):
    customers = CustomerFactory.create_batch(60, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment, holdout_percent=50)
    services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    services.fan_out(campaign_id=campaign.pk)
    campaign.refresh_from_db()

    for recipient in Recipient.objects.filter(campaign=campaign, outcome="messaged"):
        OrderFactory(customer=recipient.customer, ordered_at=recipient.at + timedelta(days=2))
    page = owner_client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    results = page.context["results"]
    assert results.messaged_converted == results.messaged > 0
    assert results.holdout_converted == 0
    assert results.uplift.difference == 1.0
    assert results.uplift.interval.low > 0.5
    assert page.context["effect"]["points"] == "+100.0"
    assert 'data-testid="uplift"' in page.content.decode()


def test_an_analyst_sees_campaigns_but_cannot_create_or_send(db, owner, seoul_segment):
    campaign = make_campaign(owner, seoul_segment)
    client = Client()
    client.force_login(make_staff("analyst"))
    assert client.get("/campaigns/").status_code == 200
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    assert client.get("/campaigns/new/").status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/send/", {}).status_code == 403
    assert client.post("/campaigns/", {"cap_messages": "1", "cap_days": "7"}).status_code == 403
    agent = Client()
    agent.force_login(make_staff("agent"))
    assert agent.get("/campaigns/").status_code == 403


def test_the_frequency_cap_is_set_on_the_list_page(marketer_client):
    response = marketer_client.post("/campaigns/", {"cap_messages": "3", "cap_days": "7"})
    assert response.status_code == 302
    assert CampaignSettings.objects.get().cap_messages == 3
    bad = marketer_client.post("/campaigns/", {"cap_messages": "0", "cap_days": "7"})
    assert bad.status_code == 422
    assert CampaignSettings.objects.get().cap_messages == 3


def test_pages_render_in_english(owner_client, owner, seoul_segment):
    campaign = make_campaign(owner, seoul_segment)
    with translation.override("en"):
        for url in ("/campaigns/", "/campaigns/new/", f"/campaigns/{campaign.pk}/",
                    f"/campaigns/{campaign.pk}/edit/"):
            assert owner_client.get(url).status_code == 200, url


def test_the_customer_timeline_shows_the_campaign_message(owner_client, owner, seoul_segment,
                                                          ad_sender):
    customer = CustomerFactory(name="김단골", region="서울", email="kim@example.com")
    grant(customer)
    campaign = make_campaign(owner, seoul_segment)
    services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    services.fan_out(campaign_id=campaign.pk)
    page = owner_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "(광고) 김단골님, 겨울 세일" in page
