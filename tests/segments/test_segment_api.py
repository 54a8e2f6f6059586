"""The segments API: CRUD, preview, members paging, scores, errors and permissions."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.segments.models import CustomerScore, Segment
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

SEOUL = {"match": "all", "rules": [{"field": "region", "op": "eq", "value": "서울"}]}


def key_client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="segments", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(owner):
    return key_client(owner, ["segments.view", "segments.manage", "customers.view"])


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_create_get_update_delete(client):
    CustomerFactory.create_batch(2, region="서울")
    CustomerFactory(region="부산")
    created = post(client, "/api/segments", {"name": "서울 고객", "definition": SEOUL})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["member_count"]) == ("서울 고객", 2)
    assert body["definition"] == SEOUL and body["counted_at"]
    pk = body["id"]

    assert client.get(f"/api/segments/{pk}").json()["name"] == "서울 고객"
    listed = client.get("/api/segments").json()
    assert [s["id"] for s in listed["items"]] == [pk] and listed["next_cursor"] is None

    busan = {"match": "any", "rules": [{"field": "region", "op": "in", "value": ["부산"]}]}
    changed = patch(client, f"/api/segments/{pk}", {"definition": busan})
    assert changed.status_code == 200, changed.content
    assert changed.json()["member_count"] == 1
    assert changed.json()["name"] == "서울 고객"  # not given, kept
    assert Segment.objects.get(pk=pk).definition == busan

    assert client.delete(f"/api/segments/{pk}").status_code == 204
    assert client.get(f"/api/segments/{pk}").status_code == 404
    actions = list(AuditEntry.objects.filter(object_type="segments.segment")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]


def test_bad_rules_are_named_and_nothing_is_saved(client):
    bad = {"match": "all", "rules": [
        {"field": "region", "op": "eq", "value": "서울"},
        {"field": "order_count", "op": "gte", "value": -1},
        {"match": "any", "rules": [{"field": "colour", "op": "eq", "value": "red"}]},
    ]}
    response = post(client, "/api/segments", {"name": "", "definition": bad})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {
        "name", "definition.rules.1.value", "definition.rules.2.rules.0.field"}
    assert not Segment.objects.exists()

    response = post(client, "/api/segments/preview", bad)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"rules.1.value",
                                                               "rules.2.rules.0.field"}
    response = post(client, "/api/segments/preview", {"match": "sometimes", "rules": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "match"


def test_names_are_unique(client):
    assert post(client, "/api/segments", {"name": "VIP", "definition": SEOUL}).status_code == 201
    again = post(client, "/api/segments", {"name": "VIP", "definition": SEOUL})
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "name"


def test_fields_catalogue_lists_every_field_with_its_operators(client):
    response = client.get("/api/segments/fields", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    fields = {f["field"]: f for f in response.json()}
    assert {"age_band", "consent", "nps_category", "loyalty_tier", "last_order_days"} <= set(
        fields)
    assert fields["churn_risk"]["ops"] == ["eq", "neq", "in", "not_in"]
    assert {c["value"] for c in fields["consent"]["choices"]} >= {"email:ad", "sms:service"}
    assert "between" in fields["total_spent"]["ops"]


def test_preview_counts_without_saving(client):
    CustomerFactory(region="서울")
    CustomerFactory(region="부산")
    OrderFactory(customer=CustomerFactory(region="부산"))
    rules = {"match": "any", "rules": [
        {"field": "region", "op": "eq", "value": "서울"},
        {"field": "order_count", "op": "gte", "value": 1}]}
    response = post(client, "/api/segments/preview", rules)
    assert response.status_code == 200 and response.json() == {"count": 2}
    assert not Segment.objects.exists()


def test_members_are_paged_with_a_cursor(client):
    customers = CustomerFactory.create_batch(5, region="서울")
    CustomerFactory(region="부산")
    pk = post(client, "/api/segments", {"name": "서울", "definition": SEOUL}).json()["id"]
    seen, cursor = [], None
    while True:
        url = f"/api/segments/{pk}/customers?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [item["external_id"] for item in page["items"]]
        assert set(page["items"][0]) >= {"external_id", "name", "email", "region", "joined_at"}
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c.external_id for c in customers]
    bad = client.get(f"/api/segments/{pk}/customers?cursor=nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


def test_score_endpoint_explains_the_score(client):
    customer = CustomerFactory(external_id="C-1")
    CustomerScore.objects.create(
        customer=customer, frequency=6, recency_days=300.0, T_days=400.0,
        monetary=Decimal("50000"), order_count=7, total_spent=Decimal("350000"),
        last_order_at=timezone.now(), R=5, F=4, M=3, rfm_segment="champions",
        p_alive=0.35, churn_risk="medium", scored_at=timezone.now())
    CustomerFactory(external_id="C-2")
    response = client.get("/api/segments/scores/C-1")
    assert response.status_code == 200
    body = response.json()
    assert (body["rfm_segment"], body["R"], body["F"], body["M"]) == ("champions", 5, 4, 3)
    assert body["churn_risk"] == "medium" and body["p_alive"] == 0.35
    assert "7" in body["explanation"] and "35" in body["explanation"]
    unscored = client.get("/api/segments/scores/C-2")
    assert unscored.status_code == 404 and unscored.json()["code"] == "not_scored"
    assert client.get("/api/segments/scores/nobody").status_code == 404


def test_permissions(owner):
    segment_id = Segment.objects.create(name="x", definition=SEOUL).pk
    viewer = key_client(owner, ["segments.view"])
    assert viewer.get("/api/segments").status_code == 200
    assert post(viewer, "/api/segments", {"name": "y", "definition": SEOUL}).status_code == 403
    assert viewer.delete(f"/api/segments/{segment_id}").status_code == 403
    # Listing members reveals customers: it needs customers.view as well.
    assert viewer.get(f"/api/segments/{segment_id}/customers").status_code == 403
    outsider = key_client(owner, ["customers.view"])
    assert outsider.get("/api/segments").status_code == 403
    assert post(outsider, "/api/segments/preview", SEOUL).status_code == 403
    # The marketer role may manage segments, the support agent may not.
    marketer, agent = Client(), Client()
    marketer.force_login(make_staff(Role.MARKETER))
    agent.force_login(make_staff(Role.AGENT))
    assert post(marketer, "/api/segments", {"name": "m", "definition": SEOUL}).status_code == 201
    assert agent.get("/api/segments").status_code == 403


def test_list_endpoints_cost_the_same_queries_at_any_page_size(client):
    CustomerFactory.create_batch(30, region="서울")
    for i in range(12):
        assert post(client, "/api/segments", {"name": f"s{i}", "definition": SEOUL}
                    ).status_code == 201
    pk = Segment.objects.order_by("pk").first().pk

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries("/api/segments?limit=2") == queries("/api/segments?limit=12")
    assert (queries(f"/api/segments/{pk}/customers?limit=2")
            == queries(f"/api/segments/{pk}/customers?limit=30"))
