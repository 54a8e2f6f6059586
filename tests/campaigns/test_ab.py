"""A/B tests of campaigns: the weighted split, per-version results and the test between them."""

import math
from datetime import timedelta

import pytest
from scipy import stats

from dangol.accounts.actors import Actor
from dangol.campaigns import ab, services
from dangol.campaigns.journey_models import Variant
from dangol.campaigns.models import Campaign, Recipient
from dangol.core.errors import ValidationFailed
from dangol.engagement.models import Message
from tests.campaigns.conftest import grant, make_campaign
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

THREE = [{"subject": "B {{name}}님", "body": "B안 {{name}}님 30% 할인", "weight": 3},
         {"subject": "C {{name}}님", "body": "C안 무료 배송", "weight": 2}]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def send(campaign, owner, run_on_commit):
    with run_on_commit():
        services.schedule_campaign(actor=Actor(user=owner), campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_recipients_are_split_by_weight_deterministically_and_get_their_version(
        owner, seoul_segment, ad_sender, run_on_commit):
    customers = CustomerFactory.create_batch(600, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment, holdout_percent=10, weight=5,
                             body="A안 {{name}}님 20% 할인", variants=THREE)
    assert [(v.label, v.weight) for v in campaign.variants.all()] == [
        ("A", 5), ("B", 3), ("C", 2)]
    send(campaign, owner, run_on_commit)

    rows = list(Recipient.objects.filter(campaign=campaign).values_list(
        "customer_id", "outcome", "variant__label", "message__body"))
    held = [r for r in rows if r[1] == "held_out"]
    messaged = [r for r in rows if r[1] == "messaged"]
    assert len(held) + len(messaged) == 600
    assert all(r[2] is None for r in held)
    shares = {label: sum(1 for r in messaged if r[2] == label) / len(messaged)
              for label in "ABC"}
    # Weights 5:3:2 → 50 %, 30 %, 20 %; with ~540 customers, 99.9 % of draws fall within
    # 7 points of each share.
    for label, expected in {"A": 0.5, "B": 0.3, "C": 0.2}.items():
        assert abs(shares[label] - expected) < 0.07, shares
    for _customer, _outcome, label, body in messaged:
        assert f"{label}안" in body
    # The draw is a function of the campaign and the customer: a re-run draws the same.
    variants = list(campaign.variants.order_by("label"))
    assert all(ab.choose_variant(campaign, variants, pk).label == label
               for pk, _o, label, _b in messaged)


def test_per_version_results_and_the_test_between_versions(
        owner, seoul_segment, ad_sender, run_on_commit):
    customers = CustomerFactory.create_batch(240, region="서울")
    for customer in customers:
        grant(customer)
    campaign = make_campaign(owner, seoul_segment, holdout_percent=20,
                             variants=[{"subject": "B", "body": "B안"}])
    campaign = send(campaign, owner, run_on_commit)
    by_label: dict[str, list[int]] = {"A": [], "B": []}
    control = []
    for customer_id, label in Recipient.objects.filter(campaign=campaign).values_list(
            "customer_id", "variant__label"):
        (by_label[label] if label else control).append(customer_id)
    # B converts everyone it reached; A a quarter; the holdout nobody.
    bought = by_label["B"] + by_label["A"][: len(by_label["A"]) // 4]
    for customer_id in bought:
        OrderFactory(customer_id=customer_id, ordered_at=campaign.started_at + timedelta(days=1))
    OrderFactory(customer_id=by_label["A"][-1],
                 ordered_at=campaign.started_at + timedelta(days=30))  # outside the window

    results, test = ab.variant_results(campaign)
    a, b = results
    assert (a.messaged, a.converted) == (len(by_label["A"]), len(by_label["A"]) // 4)
    assert (b.messaged, b.converted) == (len(by_label["B"]), len(by_label["B"]))
    assert b.versus_holdout.difference == pytest.approx(1.0)
    assert test.enough and test.dof == 1
    table = [[a.converted, a.messaged - a.converted], [b.converted, b.messaged - b.converted]]
    assert test.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    assert test.p_value < 0.001
    assert test.difference.difference == pytest.approx(b.rate - a.rate)

    page = _client(owner).get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'data-testid="variants"' in html and 'data-variant="B"' in html
    assert "p = 0.000" in html or "p &lt; 0.001" in html


def test_the_two_version_test_is_the_pooled_two_proportion_z_test():
    found = ab.compare([(30, 100), (45, 100)])
    pooled = 75 / 200
    z = (0.45 - 0.30) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert found.enough
    assert found.statistic == pytest.approx(z * z)
    assert found.p_value == pytest.approx(2 * stats.norm.sf(z))


@pytest.mark.parametrize(("counts", "reason"), [
    ([(5, 29), (9, 40)], "too_few_customers"),
    ([(1, 100), (2, 100)], "too_few_conversions"),
    ([(10, 100)], "one_version"),
])
def test_not_enough_data_yet_below_the_minimum(counts, reason):
    found = ab.compare(counts)
    assert not found.enough and found.reason == reason and found.p_value is None


def test_four_versions_use_the_chi_square_test_with_three_degrees_of_freedom():
    found = ab.compare([(20, 100), (25, 100), (30, 100), (40, 100)])
    assert found.enough and found.dof == 3 and found.difference is None
    assert 0 < found.p_value < 0.05


def test_a_campaign_without_versions_works_unchanged(owner, seoul_segment, ad_sender,
                                                     run_on_commit):
    grant(CustomerFactory(region="서울"))
    campaign = send(make_campaign(owner, seoul_segment), owner, run_on_commit)
    assert not Variant.objects.exists()
    assert Recipient.objects.get(campaign=campaign).variant is None
    assert ab.variant_results(campaign) == ([], ab.VariantTest(False, reason="one_version"))
    # Versions removed from a draft: back to one message.
    draft = make_campaign(owner, seoul_segment, variants=THREE)
    assert draft.variants.count() == 3
    services.save_campaign(actor=Actor(user=owner), campaign_id=draft.pk, values={
        "name": draft.name, "channel": "email", "purpose": "ad", "segment_id": seoul_segment.pk,
        "subject": draft.subject, "body": draft.body, "variants": []})
    assert draft.variants.count() == 0


@pytest.mark.parametrize(("variants", "weight", "field"), [
    ([*THREE, {"subject": "D", "body": "D"}, {"subject": "E", "body": "E"}], 1, "variants"),
    ([{"subject": "B", "body": "B", "weight": 0}], 1, "variants.0.weight"),
    ([{"subject": "B", "body": "B", "weight": "2.5"}], 1, "variants.0.weight"),
    ([{"subject": "B", "body": " "}], 1, "variants.0.body"),
    ([{"subject": "", "body": "B"}], 1, "variants.0.subject"),
    ([{"subject": "B", "body": "{{nmae}}"}], 1, "variants.0.body"),
    ([{"subject": "B", "body": "B"}], 101, "weight"),
])
def test_bad_versions_are_named_by_field_and_nothing_is_saved(owner, seoul_segment, variants,
                                                              weight, field):
    with pytest.raises(ValidationFailed) as refused:
        make_campaign(owner, seoul_segment, variants=variants, weight=weight)
    assert field in {p.field for p in refused.value.problems}
    assert not Campaign.objects.exists() and not Variant.objects.exists()


def test_variants_over_the_api(owner, seoul_segment, ad_sender):
    from django.test import Client

    from dangol.accounts.services import create_api_key

    token = create_api_key(actor=Actor(user=owner), name="ab",
                           scopes=["campaigns.view", "campaigns.manage"]).token
    client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    created = client.post("/api/campaigns", {
        "name": "AB", "segment_id": seoul_segment.pk, "subject": "A", "body": "A안",
        "weight": 2, "variants": [{"subject": "B", "body": "B안", "weight": 1}]},
        content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert [(v["label"], v["weight"]) for v in data["variants"]] == [("A", 2), ("B", 1)]
    assert data["results"]["variants"]["test"]["enough"] is False
    bad = client.post("/api/campaigns", {
        "name": "AB", "segment_id": seoul_segment.pk, "subject": "A", "body": "A안",
        "variants": [{"subject": "B", "body": ""}]}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "variants.0.body"
    assert Message.objects.count() == 0


def _client(owner):
    from django.test import Client

    client = Client()
    client.force_login(owner)
    return client


def test_versions_from_the_campaign_form(owner, owner_client, seoul_segment):
    form = {"name": "AB", "segment": seoul_segment.pk, "channel": "email", "purpose": "ad",
            "subject": "A {{name}}", "body": "A안", "holdout_percent": 10,
            "conversion_days": 7, "weight": 2, "subject_b": "B {{name}}", "body_b": "B안",
            "weight_b": 1, "subject_c": "", "body_c": "", "weight_c": ""}
    bad = owner_client.post("/campaigns/new/", form | {"body_b": "{{nmae}}"},
                            HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422
    assert 'data-field="body_b"' in bad.content.decode()
    assert not Campaign.objects.exists()
    saved = owner_client.post("/campaigns/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert saved.status_code == 302
    campaign = Campaign.objects.get()
    assert [(v.label, v.body, v.weight) for v in campaign.variants.all()] == [
        ("A", "A안", 2), ("B", "B안", 1)]
    edit = owner_client.get(f"/campaigns/{campaign.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert "B안" in edit.content.decode()
    detail = owner_client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-enough="no"' in detail.content.decode()
    assert "Not enough data yet" in detail.content.decode()
