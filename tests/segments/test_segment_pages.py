"""Segment pages: list, the builder without JavaScript, the live count, detail, export."""

import csv
import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.segments.models import CustomerScore, Segment
from dangol.segments.services import create_segment
from tests.conftest import make_staff
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

SEOUL = {"match": "all", "rules": [{"field": "region", "op": "eq", "value": "서울"}]}


@pytest.fixture
def owner_client(owner):
    """The owner, reading the pages in English."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(owner)
    return client


def builder_data(*rows, name="", match="all", action="count"):
    data = {"name": name, "description": "", "match": match, "rows": str(len(rows)),
            "action": action}
    for i, (field, op, value) in enumerate(rows):
        data.update({f"rule-{i}-field": field, f"rule-{i}-op": op, f"rule-{i}-value": value})
    return data


def test_builder_adds_and_removes_rows_without_javascript(owner_client):
    page = owner_client.get("/segments/new/").content.decode()
    assert page.count('data-testid="rule-row"') == 0
    added = owner_client.post("/segments/new/", builder_data(
        ("region", "eq", "서울"), action="add")).content.decode()
    assert added.count('data-testid="rule-row"') == 2
    assert 'name="rule-1-field"' in added
    removed = owner_client.post("/segments/new/", builder_data(
        ("region", "eq", "서울"), ("gender", "eq", "female"), action="remove:0")).content.decode()
    assert removed.count('data-testid="rule-row"') == 1
    assert 'value="female"' in removed and 'value="서울"' not in removed


def test_builder_counts_and_saves(owner_client):
    CustomerFactory.create_batch(2, region="서울")
    CustomerFactory(region="부산")
    counted = owner_client.post("/segments/new/", builder_data(("region", "eq", "서울")))
    assert "2 customers match" in counted.content.decode()
    saved = owner_client.post("/segments/new/", builder_data(
        ("region", "eq", "서울"), name="Seoul", action="save"))
    segment = Segment.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/segments/{segment.pk}/"
    assert segment.definition == SEOUL and segment.member_count == 2


def test_builder_names_the_bad_rule_and_saves_nothing(owner_client):
    response = owner_client.post("/segments/new/", builder_data(
        ("region", "eq", "서울"), ("order_count", "gte", "lots"), name="", action="save"))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="error-name"' in page
    # The error sits on the second row.
    second_row = page.split('data-testid="rule-row"')[2]
    assert 'data-testid="row-error"' in second_row
    assert 'data-testid="row-error"' not in page.split('data-testid="rule-row"')[1]
    assert not Segment.objects.exists()


def test_builder_changes_the_operators_when_the_field_changes(owner_client):
    # The row had "contains" for region; gender has no "contains".
    page = owner_client.post("/segments/new/", builder_data(
        ("gender", "contains", ""), action="refresh"), HTTP_HX_REQUEST="true").content.decode()
    assert page.lstrip().startswith('<div id="rules">')
    assert '<option value="eq" selected>' in page and "contains" not in page
    assert 'hx-swap-oob="true"' in page


def test_builder_offers_the_categories_in_the_data(owner_client):
    ProductFactory(category="신발")
    ProductFactory(category="")
    page = owner_client.post("/segments/new/", builder_data(
        ("product_category", "eq", ""), ("region", "eq", ""))).content.decode()
    first, second = page.split('data-testid="rule-row"')[1:3]
    assert '<option value="신발">' in first and '<option value="">' not in first
    assert "신발" not in second


def test_live_count_endpoint(owner_client):
    CustomerFactory(region="서울", gender="female")
    CustomerFactory(region="서울", gender="male")
    data = builder_data(("region", "eq", "서울"), ("gender", "eq", "female"))
    assert owner_client.get("/segments/count/", data).content.decode().strip() == (
        "1 customer matches")
    data["match"] = "any"
    assert "2 customers match" in owner_client.get("/segments/count/", data).content.decode()
    bad = owner_client.get("/segments/count/", builder_data(("R", "gte", "9")))
    assert "Rule 1" in bad.content.decode() and "at most 5" in bad.content.decode()


def test_rules_can_be_switched_to_json_to_make_groups(owner_client):
    page = owner_client.post("/segments/new/", builder_data(
        ("region", "eq", "서울"), action="json")).content.decode()
    assert 'name="definition_json"' in page and 'data-testid="rule-row"' not in page
    assert "&quot;서울&quot;" in page
    grouped = {"match": "any", "rules": [{"field": "region", "op": "eq", "value": "서울"},
                                         {"match": "all", "rules": [
                                             {"field": "gender", "op": "eq", "value": "male"}]}]}
    saved = owner_client.post("/segments/new/", {
        "name": "grouped", "description": "", "definition_json": json.dumps(grouped),
        "action": "save"})
    assert saved.status_code == 302 and Segment.objects.get().definition == grouped
    bad = owner_client.post("/segments/new/", {
        "name": "bad", "description": "", "definition_json": "{not json",
        "action": "save"})
    assert bad.status_code == 422 and 'data-testid="errors"' in bad.content.decode()


def test_edit_keeps_rules_and_groups_are_edited_as_json(owner, owner_client):
    actor = Actor(user=owner)
    flat = create_segment(actor=actor, name="flat", definition=SEOUL)
    page = owner_client.get(f"/segments/{flat.pk}/edit/").content.decode()
    assert 'value="Seoul"' not in page and 'value="서울"' in page
    grouped = create_segment(actor=actor, name="grouped", definition={
        "match": "all", "rules": [{"match": "any", "rules": SEOUL["rules"]}]})
    page = owner_client.get(f"/segments/{grouped.pk}/edit/").content.decode()
    assert 'name="definition_json"' in page
    changed = {"match": "any", "rules": [{"match": "all", "rules": [
        {"field": "region", "op": "eq", "value": "부산"}]}]}
    response = owner_client.post(f"/segments/{grouped.pk}/edit/", {
        "name": "grouped", "description": "", "definition_json": json.dumps(changed),
        "action": "save"})
    assert response.status_code == 302
    grouped.refresh_from_db()
    assert grouped.definition == changed


def test_detail_shows_rules_count_and_members(owner, owner_client):
    member = CustomerFactory(region="서울", external_id="MEMBER-1")
    CustomerFactory(region="부산", external_id="OTHER-1")
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition=SEOUL)
    page = owner_client.get(f"/segments/{segment.pk}/").content.decode()
    assert "region is 서울" in page
    assert f'href="/customers/{member.pk}/"' in page and "OTHER-1" not in page
    assert f'href="/surveys/?segment={segment.pk}"' in page
    listing = owner_client.get("/segments/").content.decode()
    assert "Seoul" in listing and f'href="/segments/{segment.pk}/"' in listing


def test_export_has_the_customer_columns_and_only_members(owner, owner_client):
    CustomerFactory(region="서울", external_id="IN-1", name="김하나")
    CustomerFactory(region="부산", external_id="OUT-1")
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition=SEOUL)
    response = owner_client.get(f"/segments/{segment.pk}/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["external_id", "name", "email"] and "joined_at" in rows[0]
    assert [r[0] for r in rows[1:]] == ["IN-1"] and rows[1][1] == "김하나"
    response = owner_client.get(f"/segments/{segment.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["external_id", "IN-1"]
    exports = AuditEntry.objects.filter(action="export", object_id=str(segment.pk))
    assert sorted(exports.values_list("fields", flat=True)) == [["csv"], ["xlsx"]]


def test_pages_need_the_permissions(owner):
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition=SEOUL)
    agent, analyst = Client(headers={"Accept-Language": "en"}), Client()
    agent.force_login(make_staff(Role.AGENT))
    analyst.force_login(make_staff(Role.ANALYST))
    assert agent.get("/segments/").status_code == 403
    assert analyst.get("/segments/").status_code == 200
    assert analyst.get("/segments/new/").status_code == 200
    deleted = analyst.post(f"/segments/{segment.pk}/delete/")
    assert deleted.status_code == 302 and not Segment.objects.exists()


def test_admin_lists_scores_read_only_and_segments(owner, owner_client):
    customer = CustomerFactory(external_id="SCORED-1")
    now = timezone.now()
    score = CustomerScore.objects.create(
        customer=customer, frequency=1, recency_days=1.0, T_days=2.0, monetary=1,
        order_count=2, total_spent=2, last_order_at=now, R=5, F=2, M=1,
        rfm_segment="potential_loyalist", churn_risk="low", scored_at=now)
    segment = create_segment(actor=Actor(user=owner), name="Seoul", definition=SEOUL)
    listing = owner_client.get("/admin/segments/customerscore/?rfm_segment__exact="
                               "potential_loyalist")
    assert listing.status_code == 200 and customer.name in listing.content.decode()
    assert owner_client.get("/admin/segments/customerscore/add/").status_code == 403
    change = owner_client.post(f"/admin/segments/customerscore/{score.pk}/change/", {"R": 1})
    assert change.status_code == 403
    score.refresh_from_db()
    assert score.R == 5
    assert owner_client.get(f"/admin/segments/segment/{segment.pk}/change/").status_code == 200
