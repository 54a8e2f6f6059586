"""Pages for coupon campaigns, the reward catalogue, first-come events, rules and tiers."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import SYSTEM
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.loyalty.models import (
    Claim,
    Coupon,
    CouponCampaign,
    EarnRule,
    Event,
    Tier,
)
from dangol.loyalty.services import coupons, events, ledger
from dangol.segments.models import Segment
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "가을 10% 할인",
    "kind": "percent",
    "value": "10",
    "max_discount": "5000",
    "min_spend": "20000",
    "starts_at": "",
    "ends_at": "",
    "valid_days": "30",
    "member_only": "on",
    "per_customer_limit": "1",
    "budget_uses": "100",
    "budget_amount": "",
    "points_cost": "",
    "auto": "",
}


@pytest.fixture
def marketer_client() -> Client:
    client = Client()
    client.force_login(make_staff(Role.MARKETER))
    return client


def error_fields(response) -> set[str]:
    return set(re.findall(r'data-field="([a-z_]+)"', response.content.decode()))


def a_campaign(**fields) -> CouponCampaign:
    values = {"name": "3천원", "kind": "fixed", "value": Decimal(3000)} | fields
    return CouponCampaign.objects.create(program=ledger.default_program(), **values)


def test_a_marketer_creates_a_campaign_and_it_is_audited(marketer_client):
    response = marketer_client.post("/loyalty/campaigns/new/", GOOD)
    assert response.status_code == 302, error_fields(response)
    campaign = CouponCampaign.objects.get()
    assert (campaign.kind, campaign.value, campaign.max_discount) == (
        "percent",
        Decimal(10),
        Decimal(5000),
    )
    assert (campaign.valid_days, campaign.budget_uses, campaign.member_only) == (30, 100, True)
    assert campaign.currency == "KRW"
    audit = AuditEntry.objects.get(object_type="loyalty.couponcampaign", action="create")
    assert "value" in audit.fields and audit.actor_user.role == Role.MARKETER
    listing = marketer_client.get("/loyalty/campaigns/").content.decode()
    assert "가을 10% 할인" in listing and 'data-state="running"' in listing


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"value": "150"}, {"value"}),
        ({"kind": "fixed", "value": "1000.5"}, {"value"}),
        ({"name": "  "}, {"name"}),
        ({"min_spend": "-1"}, {"min_spend"}),
        ({"starts_at": "2030-01-02T00:00", "ends_at": "2030-01-01T00:00"}, {"ends_at"}),
        ({"budget_uses": "0", "per_customer_limit": "abc"}, {"budget_uses", "per_customer_limit"}),
        ({"kind": "bogus"}, {"kind"}),
        ({"ends_at": "not a date"}, {"ends_at"}),
    ],
)
def test_bad_campaign_input_names_the_field_and_saves_nothing(marketer_client, changes, fields):
    response = marketer_client.post("/loyalty/campaigns/new/", GOOD | changes)
    assert response.status_code == 422
    assert error_fields(response) == fields
    assert not CouponCampaign.objects.exists()
    assert not AuditEntry.objects.filter(object_type="loyalty.couponcampaign").exists()


def test_editing_keeps_the_discount_once_used_and_the_budget_above_use(marketer_client):
    campaign = a_campaign(budget_uses=10)
    customer = CustomerFactory()
    code = coupons.issue_coupon(actor=SYSTEM, campaign=campaign, customer_pk=customer.pk).code
    coupons.reserve_coupon(
        actor=SYSTEM,
        code=code,
        customer_pk=customer.pk,
        order_amount=Decimal(50000),
        currency="KRW",
        order_ref="o1",
        idempotency_key="r1",
    )
    url = f"/loyalty/campaigns/{campaign.pk}/edit/"
    form = marketer_client.get(url)
    assert form.status_code == 200 and 'value="3천원"' in form.content.decode()
    base = GOOD | {"name": "3천원", "kind": "fixed", "value": "3000", "max_discount": ""}
    refused = marketer_client.post(url, base | {"value": "5000", "budget_uses": "0"})
    assert refused.status_code == 422
    assert error_fields(refused) == {"budget_uses"}  # form-level first: 0 is below 1
    refused = marketer_client.post(url, base | {"value": "5000"})
    assert error_fields(refused) == {"value"}
    campaign.refresh_from_db()
    assert campaign.value == Decimal(3000) and campaign.budget_uses == 10
    assert marketer_client.post(url, base | {"budget_uses": "500"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.budget_uses == 500 and campaign.name == "3천원"
    assert AuditEntry.objects.filter(action="update", object_id=str(campaign.pk)).exists()


def test_issue_codes_to_a_customer_and_to_a_saved_segment_once_per_issue(marketer_client):
    campaign = a_campaign(valid_days=7)
    seoul = CustomerFactory.create_batch(3, region="서울")
    busan = CustomerFactory(region="부산")
    segment = Segment.objects.create(
        name="서울",
        definition={"match": "all", "rules": [{"field": "region", "op": "eq", "value": "서울"}]},
    )
    url = f"/loyalty/campaigns/{campaign.pk}/"
    page = marketer_client.get(url)
    key = re.search(r'name="issue_key" value="([^"]+)"', page.content.decode()).group(1)

    one = {"customer": busan.external_id, "segment": "", "issue_key": key}
    assert marketer_client.post(url, one).status_code == 302
    assert marketer_client.post(url, one).status_code == 302  # sent twice: no second code
    assert list(Coupon.objects.values_list("customer_id", flat=True)) == [busan.pk]
    coupon = Coupon.objects.get()
    assert coupon.expires_at is not None

    many = {"customer": "", "segment": str(segment.pk), "issue_key": "issue-2"}
    assert marketer_client.post(url, many).status_code == 302
    assert set(
        Coupon.objects.filter(issue_key="issue-2").values_list("customer_id", flat=True)
    ) == {c.pk for c in seoul}
    page = marketer_client.get(url).content.decode()
    assert re.search(r'data-stat="issued">4<', page)
    assert (
        AuditEntry.objects.filter(action="issue_coupons", object_id=str(campaign.pk)).count() == 2
    )

    for bad, field in [
        ({"customer": "nobody-at-all", "segment": ""}, "customer"),
        ({"customer": "", "segment": ""}, "customer"),
        ({"customer": "", "segment": "999999"}, "segment"),
    ]:
        response = marketer_client.post(url, bad | {"issue_key": "issue-3"})
        assert response.status_code == 422
        assert error_fields(response) == {field}
    assert Coupon.objects.count() == 4


def test_pause_resume_and_end_a_campaign(marketer_client):
    campaign = a_campaign()
    customer = CustomerFactory()
    code = coupons.issue_coupon(actor=SYSTEM, campaign=campaign, customer_pk=customer.pk).code
    state = f"/loyalty/campaigns/{campaign.pk}/state/"

    def check() -> str:
        try:
            coupons.validate_coupon(
                code=code, customer_pk=customer.pk, order_amount=Decimal(10000), currency="KRW"
            )
        except coupons.CouponRefused as refused:
            return refused.code
        return "ok"

    assert marketer_client.post(state, {"action": "pause"}).status_code == 302
    assert check() == "coupon_paused"
    assert 'data-state="paused"' in marketer_client.get("/loyalty/campaigns/").content.decode()
    marketer_client.post(state, {"action": "resume"})
    assert check() == "ok"
    marketer_client.post(state, {"action": "end"})
    assert check() == "coupon_expired"
    campaign.refresh_from_db()
    assert not campaign.active and campaign.ends_at <= timezone.now()
    # Ended is final: resuming and issuing are refused, nothing changes.
    marketer_client.post(state, {"action": "resume"})
    campaign.refresh_from_db()
    assert not campaign.active
    response = marketer_client.post(
        f"/loyalty/campaigns/{campaign.pk}/",
        {"customer": customer.external_id, "segment": "", "issue_key": "late"},
    )
    assert response.status_code == 422 and Coupon.objects.count() == 1
    # Nor can a later end date bring it back; its name may still be corrected.
    edit = f"/loyalty/campaigns/{campaign.pk}/edit/"
    base = GOOD | {"name": "3천원", "kind": "fixed", "value": "3000", "max_discount": ""}
    base |= {"valid_days": "", "budget_uses": "", "member_only": "on", "min_spend": "0"}
    revived = marketer_client.post(edit, base | {"ends_at": "2099-01-01T00:00"})
    assert revived.status_code == 422 and error_fields(revived) == {"ends_at"}
    campaign.refresh_from_db()
    ended_at = campaign.ends_at
    assert ended_at <= timezone.now()
    renamed = marketer_client.post(
        edit,
        base
        | {
            "name": "3천원 (종료)",
            "ends_at": timezone.localtime(ended_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert renamed.status_code == 302, error_fields(renamed)
    campaign.refresh_from_db()
    assert campaign.name == "3천원 (종료)" and campaign.ends_at == ended_at
    actions = set(
        AuditEntry.objects.filter(object_id=str(campaign.pk)).values_list("action", flat=True)
    )
    assert {"pause", "resume", "end"} <= actions


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AGENT])
def test_viewers_see_campaigns_and_events_but_cannot_change_them(client, role):
    client.force_login(make_staff(role))
    campaign = a_campaign()
    event = events.create_event(actor=SYSTEM, name="선착순", capacity=2, points=100)
    for url in ["/loyalty/campaigns/", f"/loyalty/campaigns/{campaign.pk}/", "/loyalty/rewards/"]:
        assert client.get(url).status_code == 200
    assert client.get(f"/loyalty/events/{event.pk}/").status_code == 200
    assert client.get("/loyalty/campaigns/new/").status_code == 403
    assert client.post("/loyalty/campaigns/new/", GOOD).status_code == 403
    issue = {"customer": CustomerFactory().external_id, "segment": "", "issue_key": "k"}
    assert client.post(f"/loyalty/campaigns/{campaign.pk}/", issue).status_code == 403
    state = client.post(f"/loyalty/campaigns/{campaign.pk}/state/", {"action": "end"})
    assert state.status_code == 403
    assert client.post("/loyalty/events/", {"name": "x", "capacity": 1}).status_code == 403
    assert client.post(f"/loyalty/events/{event.pk}/").status_code == 403
    assert CouponCampaign.objects.get().active and not Coupon.objects.exists()
    assert Event.objects.count() == 1 and Event.objects.get().ends_at is None


def test_the_reward_catalogue_lists_priced_campaigns_and_a_new_reward_needs_a_price(
    marketer_client,
):
    a_campaign(name="그냥 쿠폰")
    a_campaign(name="무료 배송", points_cost=1500)
    page = marketer_client.get("/loyalty/rewards/").content.decode()
    assert "무료 배송" in page and "그냥 쿠폰" not in page
    response = marketer_client.post("/loyalty/campaigns/new/?reward=1", GOOD | {"name": "r"})
    assert response.status_code == 422 and error_fields(response) == {"points_cost"}
    ok = marketer_client.post("/loyalty/campaigns/new/?reward=1", GOOD | {"points_cost": "900"})
    assert ok.status_code == 302
    assert CouponCampaign.objects.get(name=GOOD["name"]).points_cost == 900


def test_create_an_event_with_a_coupon_prize_see_its_winners_and_close_it(marketer_client):
    prize = a_campaign(name="당첨 쿠폰")
    form = {
        "name": "오픈 기념 선착순",
        "capacity": "2",
        "points": "500",
        "coupon_campaign": str(prize.pk),
        "starts_at": "",
        "ends_at": "",
    }
    response = marketer_client.post("/loyalty/events/", form)
    assert response.status_code == 302, error_fields(response)
    event = Event.objects.get()
    assert (event.capacity, event.points, event.coupon_campaign_id) == (2, 500, prize.pk)
    assert AuditEntry.objects.filter(action="create", object_type="loyalty.event").exists()

    first, second, third = CustomerFactory.create_batch(3)
    for customer in (first, second):
        events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=customer.pk)
    with pytest.raises(events.SoldOut):
        events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=third.pk)
    claims = list(Claim.objects.order_by("position"))
    assert [c.customer_id for c in claims] == [first.pk, second.pk]
    assert all(c.coupon.campaign_id == prize.pk and c.coupon.customer_id for c in claims)
    page = marketer_client.get(f"/loyalty/events/{event.pk}/").content.decode()
    assert claims[0].coupon.code in page and str(first) in page
    assert 'data-state="sold_out"' in marketer_client.get("/loyalty/events/").content.decode()

    assert marketer_client.post(f"/loyalty/events/{event.pk}/").status_code == 302
    event.refresh_from_db()
    assert event.ends_at is not None
    assert AuditEntry.objects.filter(action="close", object_id=str(event.pk)).exists()


def test_closing_an_open_event_stops_claims():
    event = events.create_event(actor=SYSTEM, name="선착순", capacity=5, points=100)
    events.close_event(actor=SYSTEM, event_id=event.pk)
    with pytest.raises(events.DomainError) as refused:
        events.claim_event(actor=SYSTEM, event_id=event.pk, customer_pk=CustomerFactory().pk)
    assert refused.value.code == "event_closed"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"capacity": "0"}, {"capacity"}),
        ({"capacity": "many"}, {"capacity"}),
        ({"points": "0", "coupon_campaign": ""}, {"points"}),
        ({"points": "-5"}, {"points"}),
        ({"name": ""}, {"name"}),
        ({"starts_at": "2030-01-02T00:00", "ends_at": "2030-01-01T00:00"}, {"ends_at"}),
        ({"coupon_campaign": "999999"}, {"coupon_campaign"}),
    ],
)
def test_bad_event_input_names_the_field_and_creates_nothing(marketer_client, changes, fields):
    form = {"name": "선착순", "capacity": "10", "points": "100", "coupon_campaign": ""}
    response = marketer_client.post("/loyalty/events/", form | changes)
    assert response.status_code == 422
    assert error_fields(response) == fields
    assert not Event.objects.exists()


def test_an_ended_campaign_cannot_be_an_event_prize():
    campaign = a_campaign(ends_at=timezone.now() - timedelta(days=1))
    with pytest.raises(events.ValidationFailed) as refused:
        events.create_event(
            actor=SYSTEM, name="x", capacity=1, points=0, coupon_campaign_id=campaign.pk
        )
    assert [p.field for p in refused.value.problems] == ["coupon_campaign"]


def test_rules_and_tiers_can_be_edited(marketer_client):
    program = ledger.default_program()
    rule = EarnRule.objects.create(
        program=program, kind=EarnRule.Kind.CATEGORY, category="신발", multiplier=Decimal(2)
    )
    gold = Tier.objects.create(program=program, name="Gold", rank=2, min_spend=Decimal(500000))
    Tier.objects.create(program=program, name="Silver", rank=1, min_spend=Decimal(100000))
    assert marketer_client.get(f"/loyalty/rules/{rule.pk}/").status_code == 200
    data = {"kind": "category", "name": "", "category": "신발", "multiplier": "3", "weekdays": "[]"}
    assert marketer_client.post(f"/loyalty/rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.multiplier == Decimal(3) and not rule.active
    bad = marketer_client.post(f"/loyalty/rules/{rule.pk}/", data | {"category": ""})
    assert bad.status_code == 422 and error_fields(bad) == {"category"}

    tier = {
        "name": "Gold",
        "rank": "1",
        "min_spend": "500000",
        "min_orders": "",
        "earn_multiplier": "1.5",
        "birthday_points": "0",
        "monthly_coupon": "",
    }
    taken = marketer_client.post(f"/loyalty/tiers/{gold.pk}/", tier)
    assert taken.status_code == 422 and error_fields(taken) == {"rank"}
    assert (
        marketer_client.post(f"/loyalty/tiers/{gold.pk}/", tier | {"rank": "3"}).status_code == 302
    )
    gold.refresh_from_db()
    assert (gold.rank, gold.earn_multiplier) == (3, Decimal("1.5"))
    overview = marketer_client.get("/loyalty/").content.decode()
    assert f"/loyalty/tiers/{gold.pk}/" in overview and f"/loyalty/rules/{rule.pk}/" in overview


def test_unknown_pages_are_404_and_a_bad_action_changes_nothing(marketer_client):
    campaign = a_campaign()
    for url in [
        "/loyalty/campaigns/999999/",
        "/loyalty/campaigns/999999/edit/",
        "/loyalty/events/999999/",
    ]:
        assert marketer_client.get(url).status_code == 404
    response = marketer_client.post(
        f"/loyalty/campaigns/{campaign.pk}/state/", {"action": "explode"}, follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    campaign.refresh_from_db()
    assert campaign.active and campaign.ends_at is None
    assert not AuditEntry.objects.filter(object_id=str(campaign.pk)).exists()


def test_a_segment_too_large_for_one_issue_is_refused_whole(marketer_client, monkeypatch):
    from dangol.loyalty.services import campaigns

    monkeypatch.setattr(campaigns, "MAX_ISSUE", 2)
    campaign = a_campaign()
    CustomerFactory.create_batch(3, region="서울")
    segment = Segment.objects.create(
        name="서울",
        definition={"match": "all", "rules": [{"field": "region", "op": "eq", "value": "서울"}]},
    )
    response = marketer_client.post(
        f"/loyalty/campaigns/{campaign.pk}/",
        {"customer": "", "segment": str(segment.pk), "issue_key": "big"},
    )
    assert response.status_code == 422 and error_fields(response) == {"segment"}
    assert not Coupon.objects.exists()


def test_settings_rules_and_tiers_refuse_bad_numbers_naming_the_field(marketer_client):
    from dangol.loyalty.forms import ProgramForm, RuleForm, TierForm
    from dangol.loyalty.models import Program

    program = ledger.default_program()
    settings = {f: "" if v is None else v for f, v in ProgramForm(instance=program).initial.items()}
    settings.update(earn_unit_amount="0", active="on")
    response = marketer_client.post("/loyalty/", settings)
    assert response.status_code == 200
    assert ProgramForm(settings, instance=program).errors.keys() == {"earn_unit_amount"}
    assert Program.objects.get().earn_unit_amount == Decimal(1000)
    rule = RuleForm({"kind": "promotion", "multiplier": "-1", "weekdays": "[]"})
    assert rule.errors.keys() == {"multiplier"}
    tier = TierForm({"name": "g", "rank": "1", "min_spend": "5", "earn_multiplier": "0.5"})
    assert tier.errors.keys() >= {"earn_multiplier"} and "__all__" not in tier.errors
    marketer_client.post(
        "/loyalty/tiers/",
        {
            "name": "g",
            "rank": "1",
            "min_spend": "5",
            "earn_multiplier": "0.5",
            "birthday_points": "0",
        },
    )
    assert not Tier.objects.exists()
