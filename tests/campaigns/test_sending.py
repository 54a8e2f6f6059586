"""Sending a campaign to a saved segment through the outbox, to a real SMTP server."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from dangol.accounts.actors import SYSTEM, Actor
from dangol.campaigns import services
from dangol.campaigns.models import Campaign, Recipient
from dangol.campaigns.selectors import campaign_results
from dangol.campaigns.tasks import start_due_campaigns_task
from dangol.core.errors import DomainError, ValidationFailed
from dangol.engagement.models import Message
from dangol.loyalty.models import Account, Program, Tier
from dangol.surveys.models import BrandKit
from tests.campaigns.conftest import NOON, grant, make_campaign
from tests.factories import CustomerFactory


def _send(campaign, owner, run_on_commit):
    with run_on_commit():
        services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_an_ad_campaign_reaches_the_segment_personalised_and_labelled(
        owner, seoul_segment, smtp_server, ad_sender, run_on_commit):
    kim = CustomerFactory(name="김단골", email="kim@example.com", region="서울")
    lee = CustomerFactory(name="이<b>", email="lee@example.com", region="서울")
    no_consent = CustomerFactory(name="박", email="park@example.com", region="서울")
    busan = CustomerFactory(name="최", email="choi@example.com", region="부산")
    for customer in (kim, lee, busan):
        grant(customer)
    program = Program.objects.create(name="멤버십") if not Program.objects.exists() \
        else Program.objects.first()
    gold = Tier.objects.create(program=program, name="골드", rank=2)
    Account.objects.create(program=program, customer=kim, tier=gold, balance=1200)
    campaign = make_campaign(owner, seoul_segment)

    campaign = _send(campaign, owner, run_on_commit)

    assert campaign.status == Campaign.Status.SENT
    mails = {m["To"]: m for m in smtp_server.messages}
    assert set(mails) == {"kim@example.com", "lee@example.com"}
    assert mails["kim@example.com"]["Subject"] == "(광고) 김단골님, 겨울 세일"
    assert "김단골님 (골드) 20% 할인!" in mails["kim@example.com"].text()
    assert "무료" in mails["kim@example.com"].text() or "unsubscribe" in \
        mails["kim@example.com"].text().lower()
    assert mails["kim@example.com"]["List-Unsubscribe"]
    # A name is text: escaped in the HTML part, never markup.
    assert "이&lt;b&gt;님" in mails["lee@example.com"].html()
    assert "<b>님" not in mails["lee@example.com"].html()
    outcomes = dict(Recipient.objects.values_list("customer__name", "outcome"))
    assert outcomes == {"김단골": "messaged", "이<b>": "messaged", "박": "blocked"}
    assert Recipient.objects.get(customer=no_consent).block_reason == "no_consent"
    results = campaign_results(campaign)
    assert (results.targeted, results.messaged, results.sent) == (3, 2, 2)
    assert results.blocked == {"no_consent": 1}


def test_an_information_campaign_needs_no_ad_consent_and_carries_no_label(
        owner, seoul_segment, smtp_server, ad_sender, run_on_commit):
    CustomerFactory(name="김단골", email="kim@example.com", region="서울")
    brand = BrandKit.objects.create(name="단골상회", primary_color="#aa3300")
    campaign = make_campaign(owner, seoul_segment, purpose="information", brand_id=brand.pk,
                             subject="{{name}}님, 배송 안내", body="안녕하세요 {{name}}님")
    _send(campaign, owner, run_on_commit)
    [mail] = smtp_server.messages
    assert mail["Subject"] == "김단골님, 배송 안내"
    assert "(광고)" not in mail.text()
    # The brand kit's name and colour head the HTML part.
    assert "#aa3300" in mail.html() and "단골상회" in mail.html()


def test_sms_ads_get_the_label_and_the_free_opt_out(
        owner, seoul_segment, fake_sms_provider, ad_sender, run_on_commit, time_machine):
    time_machine.move_to(NOON, tick=False)
    customer = CustomerFactory(name="김단골", region="서울")
    grant(customer, "sms")
    campaign = make_campaign(owner, seoul_segment, channel="sms", subject="",
                             body="{{name}}님 겨울 세일 20%")
    _send(campaign, owner, run_on_commit)
    [request] = fake_sms_provider.requests
    assert request.json["text"].startswith("(광고)단골상회\n김단골님 겨울 세일 20%")
    assert request.json["text"].endswith("무료거부 080-123-4567")


def test_the_fan_out_run_twice_or_resumed_messages_each_customer_once(
        owner, seoul_segment, ad_sender, run_on_commit):
    customers = CustomerFactory.create_batch(7, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)

    # A worker that stops after two chunks of three, then the job runs again, twice.
    assert services.fan_out(campaign_id=campaign.pk, chunk_size=3, max_chunks=2) == 6
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.cursor == customers[5].pk
    assert services.fan_out(campaign_id=campaign.pk, chunk_size=3) == 1
    assert services.fan_out(campaign_id=campaign.pk, chunk_size=3) == 0
    # Even with the cursor lost, a re-run finds every customer done.
    Campaign.objects.filter(pk=campaign.pk).update(cursor=0, status=Campaign.Status.SENDING)
    services.fan_out(campaign_id=campaign.pk, chunk_size=3)

    assert Recipient.objects.filter(campaign=campaign).count() == 7
    assert Message.objects.filter(source=f"campaign:{campaign.pk}").count() == 7
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    with pytest.raises(IntegrityError), transaction.atomic():
        Recipient.objects.create(campaign=campaign, customer=customers[0], outcome="messaged",
                                 at=campaign.started_at or NOON)


def test_the_holdout_group_is_drawn_at_random_and_never_messaged(
        owner, seoul_segment, ad_sender, run_on_commit):
    customers = CustomerFactory.create_batch(200, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment, holdout_percent=20)
    campaign = _send(campaign, owner, run_on_commit)

    held = set(Recipient.objects.filter(campaign=campaign, outcome="held_out")
               .values_list("customer_id", flat=True))
    messaged = set(Message.objects.filter(source=f"campaign:{campaign.pk}")
                   .values_list("customer_id", flat=True))
    assert held and not held & messaged
    assert len(held) + len(messaged) == 200
    # 20 % of 200 drawn at random: 40 expected; 99.99 % of draws land in 18..65.
    assert 18 <= len(held) <= 65
    # The draw is recorded per customer and repeats exactly for the same campaign.
    assert held == {c.pk for c in customers if services.held_out(campaign, c.pk)}


def test_the_frequency_cap_skips_customers_who_had_enough_ads(
        owner, seoul_segment, ad_sender, run_on_commit):
    busy, quiet = CustomerFactory.create_batch(2, region="서울")
    for customer in (busy, quiet):
        grant(customer)
    services.save_settings(actor=Actor(user=owner), cap_messages=2, cap_days=7)
    for _n in range(2):
        first = make_campaign(owner, seoul_segment)
        Campaign.objects.filter(pk=first.pk).update(status=Campaign.Status.SENDING)
        # Only ``busy`` is in these earlier campaigns' way: quiet is held out of them by a
        # segment of one.
        services._handle(first, [busy], NOON)
    campaign = make_campaign(owner, seoul_segment)
    _send(campaign, owner, run_on_commit)

    outcomes = dict(Recipient.objects.filter(campaign=campaign)
                    .values_list("customer_id", "outcome"))
    assert outcomes == {busy.pk: "capped", quiet.pk: "messaged"}
    assert campaign_results(campaign).capped == 1
    # An information message is never capped.
    info = make_campaign(owner, seoul_segment, purpose="information")
    _send(info, owner, run_on_commit)
    assert set(Recipient.objects.filter(campaign=info).values_list("outcome", flat=True)) == {
        "messaged"}


def test_a_bad_template_names_the_field_and_saves_nothing(owner, seoul_segment):
    with pytest.raises(ValidationFailed) as raised:
        make_campaign(owner, seoul_segment, subject="{{nmae}}님", body="{{ coupon }} {{name}")
    fields = {p.field: p.message for p in raised.value.problems}
    assert set(fields) == {"subject", "body"}
    assert "{{nmae}}" in fields["subject"]
    assert Campaign.objects.count() == 0


def test_a_scheduled_campaign_is_sent_by_the_periodic_job_and_can_be_cancelled_before(
        owner, seoul_segment, smtp_server, ad_sender, run_on_commit, time_machine):
    time_machine.move_to(NOON, tick=False)
    grant(CustomerFactory(region="서울", email="kim@example.com"))
    later = make_campaign(owner, seoul_segment)
    cancelled = make_campaign(owner, seoul_segment, name="취소")
    for campaign in (later, cancelled):
        services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk,
                                   send_at=NOON + timedelta(hours=1))
    services.cancel_campaign(actor=Actor(user=owner), campaign_id=cancelled.pk)
    with pytest.raises(DomainError) as refused:
        services.cancel_campaign(actor=SYSTEM, campaign_id=cancelled.pk)
    assert refused.value.code == "not_scheduled"

    with run_on_commit():
        start_due_campaigns_task.delay()
    assert Campaign.objects.get(pk=later.pk).status == Campaign.Status.SCHEDULED
    assert smtp_server.messages == []

    time_machine.move_to(NOON + timedelta(hours=1, minutes=1), tick=False)
    with run_on_commit():
        start_due_campaigns_task.delay()
    assert Campaign.objects.get(pk=later.pk).status == Campaign.Status.SENT
    assert Campaign.objects.get(pk=cancelled.pk).status == Campaign.Status.CANCELLED
    assert [m["To"] for m in smtp_server.messages] == ["kim@example.com"]
    with pytest.raises(DomainError) as again:
        services.schedule_campaign(actor=SYSTEM, campaign_id=later.pk)
    assert again.value.code == "not_draft"


def test_an_unsubscribe_after_the_message_is_counted(owner, seoul_segment, ad_sender,
                                                     run_on_commit):
    from dangol.engagement.services import withdraw_ad_consent

    stays, leaves = CustomerFactory.create_batch(2, region="서울")
    for customer in (stays, leaves):
        grant(customer)
    campaign = _send(make_campaign(owner, seoul_segment), owner, run_on_commit)
    withdraw_ad_consent(customer_id=leaves.pk, channel="email", source="unsubscribe:email")
    assert campaign_results(campaign).unsubscribed == 1


def test_a_deleted_segment_leaves_its_campaigns_and_a_draft_asks_for_another(
        owner, seoul_segment, ad_sender, run_on_commit):
    from dangol.segments.services import delete_segment

    grant(CustomerFactory(region="서울"))
    sent = _send(make_campaign(owner, seoul_segment, name="보낸 것"), owner, run_on_commit)
    draft = make_campaign(owner, seoul_segment, name="초안")
    delete_segment(actor=Actor(user=owner), segment_id=seoul_segment.pk)

    sent.refresh_from_db()
    assert sent.segment_id is None and sent.segment_name == "Seoul"
    assert campaign_results(sent).messaged == 1
    with pytest.raises(ValidationFailed) as refused:
        services.schedule_campaign(actor=Actor(user=owner), campaign_id=draft.pk)
    assert refused.value.problems[0].field == "segment_id"
    assert Campaign.objects.get(pk=draft.pk).status == Campaign.Status.DRAFT
    client = Client()
    client.force_login(owner)
    for campaign in (sent, draft):
        page = client.get(f"/campaigns/{campaign.pk}/")
        assert page.status_code == 200 and "Seoul" in page.content.decode()
    assert client.get("/campaigns/").status_code == 200
