import json

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.customers.models import Consent, Customer, Order
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: object):
    return client.post(path, json.dumps(body, default=str), content_type="application/json")


def test_create_then_repeat_is_idempotent(api):
    body = {"external_id": "C1", "name": "김민수", "phone": "010-1234-5678",
            "email": "Minsu@Example.com"}
    first = post(api, "/api/customers", body)
    assert first.status_code == 201
    assert first.json()["customer"]["phone"] == "+821012345678"
    assert first.json()["customer"]["email"] == "minsu@example.com"
    again = post(api, "/api/customers", body)
    assert again.status_code == 200
    assert again.json()["changed_fields"] == []
    assert Customer.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="customers.customer").count() == 1


def test_update_changes_only_given_fields(api):
    CustomerFactory(external_id="C1", name="김민수", region="부산")
    response = post(api, "/api/customers", {"external_id": "C1", "region": "서울"})
    assert response.status_code == 200
    assert response.json()["changed_fields"] == ["region"]
    customer = Customer.objects.get(external_id="C1")
    assert (customer.name, customer.region) == ("김민수", "서울")


def test_field_level_errors_name_the_field_and_change_nothing(api):
    response = post(api, "/api/customers", {"external_id": "C1", "phone": "12", "email": "x@",
                                            "birthday": "2199-01-01"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"phone", "email", "birthday"}
    assert not Customer.objects.exists()


def test_unknown_field_is_refused(api):
    response = post(api, "/api/customers", {"external_id": "C1", "nmae": "typo"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nmae"


def test_consent_is_recorded_with_history(api):
    response = post(api, "/api/customers", {
        "external_id": "C1",
        "consents": [{"channel": "sms", "purpose": "ad", "granted": True, "night": True,
                      "source": "app"}]})
    assert response.status_code == 201
    consent = response.json()["customer"]["consents"][0]
    assert consent["granted"] and consent["night"]
    post(api, "/api/customers", {"external_id": "C1", "consents": [
        {"channel": "sms", "purpose": "ad", "granted": False, "source": "080"}]})
    row = Consent.objects.get()
    assert not row.is_granted and row.night_granted_at is None
    actions = list(row.customer.consent_events.order_by("id").values_list("action", flat=True))
    assert actions == ["grant", "grant_night", "withdraw"]


def test_bulk_keeps_good_rows_and_names_bad_ones(api):
    items = [{"external_id": f"C{i}", "name": f"고객{i}"} for i in range(300)]
    items[7]["phone"] = "not a phone"
    items[42] = {"name": "no id"}
    items[99]["external_id"] = "C1"  # repeats row 1
    response = post(api, "/api/customers/bulk", {"items": items})
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 297
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [
        (7, "phone"), (42, "external_id"), (99, "external_id")]
    assert Customer.objects.count() == 297
    assert not Customer.objects.filter(external_id="C7").exists()


def test_bulk_second_call_updates(api):
    items = [{"external_id": f"C{i}", "region": "서울"} for i in range(10)]
    post(api, "/api/customers/bulk", {"items": items})
    items[0]["region"] = "부산"
    body = post(api, "/api/customers/bulk", {"items": items}).json()
    assert (body["created"], body["updated"]) == (0, 10)
    assert Customer.objects.get(external_id="C0").region == "부산"


def test_list_paginates_with_a_cursor(api):
    CustomerFactory.create_batch(25, region="서울")
    CustomerFactory.create_batch(3, region="부산")
    seen = []
    cursor = None
    while True:
        query = {"limit": 10, "region": "서울"} | ({"cursor": cursor} if cursor else {})
        page = api.get("/api/customers", query).json()
        seen += [c["external_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 25 == len(set(seen))


def test_bad_cursor_is_a_clear_error(api):
    response = api.get("/api/customers", {"cursor": "garbage!"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_search_by_phone_in_any_format(api):
    CustomerFactory(external_id="C1", phone="+821055556666")
    CustomerFactory(external_id="C2")
    items = api.get("/api/customers", {"q": "010-5555-6666"}).json()["items"]
    assert [c["external_id"] for c in items] == ["C1"]


def test_get_and_delete_with_orders(api):
    customer = CustomerFactory(external_id="C1")
    OrderFactory.create_batch(2, customer=customer)
    assert api.get("/api/customers/C1").status_code == 200
    assert api.delete("/api/customers/C1").status_code == 204
    assert not Order.objects.exists()
    assert api.get("/api/customers/C1").status_code == 404
    assert api.delete("/api/customers/C1").json()["code"] == "not_found"


def test_requests_without_a_valid_key_are_refused(db):
    assert Client().get("/api/customers").status_code == 401
    bad = Client(headers={"Authorization": "Bearer dg_nope_nope"})
    assert bad.get("/api/customers").status_code == 401


def test_scopes_limit_what_a_key_can_do(owner):
    issued = create_api_key(actor=Actor(user=owner), name="read only",
                            scopes=["customers.view"])
    client = Client(headers={"X-API-Key": issued.token})
    assert client.get("/api/customers").status_code == 200
    response = post(client, "/api/customers", {"external_id": "C1"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Customer.objects.exists()


def test_a_key_loses_rights_its_creator_loses(db):
    marketer = make_staff(Role.MARKETER)
    issued = create_api_key(actor=Actor(user=make_staff(Role.ADMIN, "a@example.com")),
                            name="k", scopes=["customers.change"])
    assert issued.api_key.allows("customers.change")
    issued.api_key.created_by.role = Role.AGENT
    issued.api_key.created_by.save()
    client = Client(headers={"Authorization": f"Bearer {issued.token}"})
    assert post(client, "/api/customers", {"external_id": "C1"}).status_code == 403
    assert marketer.has_perm("customers.change")


def test_staff_session_can_use_the_api(owner_client):
    assert owner_client.get("/api/customers").status_code == 200


def test_openapi_document_is_served(db):
    spec = Client().get("/api/openapi.json").json()
    assert "/api/customers/bulk" in spec["paths"]
    assert "/api/orders" in spec["paths"]
