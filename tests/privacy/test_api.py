"""The personal-data requests REST API: list, create, get, verify, export, complete, refuse."""

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key
from dangol.customers.models import Consent, Customer
from dangol.customers.schemas import ConsentIn, CustomerIn
from dangol.customers.services import upsert_customer
from dangol.privacy.models import DataRequest
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SCOPES = ["privacy.handle_requests", "customers.change", "customers.delete"]


def client_with(user, scopes) -> Client:
    token = create_api_key(actor=Actor(user=user), name="t", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def api(owner) -> Client:
    return client_with(owner, SCOPES)


@pytest.fixture
def customer(owner):
    customer = CustomerFactory(external_id="C-1", name="김민수", email="minsu@example.com")
    upsert_customer(actor=Actor(user=owner), data=CustomerIn(
        external_id="C-1", consents=[ConsentIn(channel="email", granted=True)]))
    return customer


def post(api, url, body=None):
    return api.post(url, body or {}, content_type="application/json")


def test_create_get_and_list_requests(api, customer):
    response = post(api, "/api/privacy/requests", {"customer": "minsu@example.com",
                                                    "kind": "access", "details": "열람 요청"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer_id"], body["customer_name_masked"], body["kind"], body["status"]) == (
        "C-1", "김**", "access", "received")
    assert (body["days_left"], body["overdue"], body["customer_exists"]) == (10, False, True)
    assert api.get(f"/api/privacy/requests/{body['id']}").json()["details"] == "열람 요청"
    post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "suspension"})
    items = api.get("/api/privacy/requests").json()["items"]
    assert [i["kind"] for i in items] == ["suspension", "access"]
    assert [i["kind"] for i in api.get("/api/privacy/requests?kind=access").json()["items"]] \
        == ["access"]
    assert api.get("/api/privacy/requests?customer_id=nobody").json()["items"] == []
    assert api.get("/api/privacy/requests/999999").status_code == 404


def test_bad_input_names_the_field_and_records_nothing(api, customer):
    response = post(api, "/api/privacy/requests", {"customer": "nobody", "kind": "access"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["customer"]
    assert "고객" in response.json()["errors"][0]["message"]  # Korean, the default language
    response = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "forget"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "kind"
    assert not DataRequest.objects.exists()


def test_export_then_the_request_is_done(api, customer):
    request_id = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "access"}
                      ).json()["id"]
    refused = post(api, f"/api/privacy/requests/{request_id}/export")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "identity_verification"
    verified = post(api, f"/api/privacy/requests/{request_id}/verify",
                    {"identity_verification": "본인 계정 로그인"})
    assert verified.json()["status"] == "in_progress"
    response = post(api, f"/api/privacy/requests/{request_id}/export")
    assert response.status_code == 200
    assert "김민수" in response.content.decode()
    document = response.json()
    assert document["sections"]["consents"][0]["channel"] == "email"
    assert api.get(f"/api/privacy/requests/{request_id}").json()["status"] == "done"
    again = post(api, f"/api/privacy/requests/{request_id}/export")
    assert (again.status_code, again.json()["code"]) == (409, "request_finished")


def test_complete_a_deletion_and_a_withdrawal(api, customer):
    withdrawal = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "withdrawal"}
                      ).json()["id"]
    done = post(api, f"/api/privacy/requests/{withdrawal}/complete",
                {"identity_verification": "휴대폰 본인인증"}).json()
    assert (done["status"], done["erased"]) == ("done", {"consents": {"withdrawn": 1}})
    assert not Consent.objects.get().is_granted
    deletion = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "deletion"}
                    ).json()["id"]
    response = post(api, f"/api/privacy/requests/{deletion}/complete",
                    {"identity_verification": "휴대폰 본인인증", "result_note": "삭제"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["customer_exists"], body["customer_id"]) == ("done", False,
                                                                               "C-1")
    assert body["erased"]["customers"]["consents"] == 1
    assert not Customer.objects.exists()


def test_refuse_needs_a_reason(api, customer):
    request_id = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "deletion"}
                      ).json()["id"]
    response = post(api, f"/api/privacy/requests/{request_id}/refuse", {"reason": ""})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    response = post(api, f"/api/privacy/requests/{request_id}/refuse", {"reason": "   "})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"
    response = post(api, f"/api/privacy/requests/{request_id}/refuse",
                    {"reason": "법정 보존 기간 중인 거래기록"})
    assert (response.json()["status"], response.json()["refusal_reason"]) == (
        "refused", "법정 보존 기간 중인 거래기록")


def test_a_key_needs_the_privacy_scope(owner, customer):
    api = client_with(owner, ["customers.view"])
    assert api.get("/api/privacy/requests").status_code == 403
    response = post(api, "/api/privacy/requests", {"customer": "C-1", "kind": "access"})
    assert response.status_code == 403
    assert not DataRequest.objects.exists()
