"""Pages of personal-data requests: list (open first, overdue flagged), new, detail, actions."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.customers.models import Customer
from dangol.privacy import services
from dangol.privacy.models import DataRequest
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_list_shows_open_requests_first_and_flags_overdue(client, admin):
    CustomerFactory(external_id="C-1", name="김민수")
    CustomerFactory(external_id="C-2")
    late = services.create_request(actor=admin, customer="C-1", kind="access",
                                   received_at=timezone.now() - timedelta(days=13))
    fresh = services.create_request(actor=admin, customer="C-2", kind="deletion")
    closed = services.create_request(actor=admin, customer="C-2", kind="access",
                                     received_at=timezone.now() - timedelta(days=20))
    services.refuse_request(actor=admin, request_pk=closed.pk, reason="중복 요청")
    page = client.get("/privacy/", headers={"accept-language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f'data-request="{late.pk}"') < html.index(f'data-request="{fresh.pk}"') \
        < html.index(f'data-request="{closed.pk}"')
    assert "overdue by 3 days" in html and "김**" in html and "김민수" not in html
    assert "10 days left" in html


def test_staff_without_the_permission_cannot_see_requests(db):
    client = Client()
    client.force_login(make_staff(Role.MARKETER))
    assert client.get("/privacy/").status_code == 403


def test_new_request_by_phone_then_verify_and_complete_a_withdrawal(client):
    CustomerFactory(external_id="C-1", phone="+821012345678")
    response = client.post("/privacy/new/", {"customer": "010-1234-5678",
                                             "kind": "withdrawal", "details": "수신 동의 철회"})
    data_request = DataRequest.objects.get()
    assert response.status_code == 302 and response.url == f"/privacy/{data_request.pk}/"
    detail = client.get(response.url)
    assert b'data-testid="verify-form"' in detail.content
    client.post(f"/privacy/{data_request.pk}/action/",
                {"action": "verify", "identity_verification": "휴대폰 본인인증"})
    client.post(f"/privacy/{data_request.pk}/action/", {"action": "complete",
                                                          "result_note": "철회 완료"})
    data_request.refresh_from_db()
    assert (data_request.status, data_request.result_note) == ("done", "철회 완료")


def test_new_request_for_an_unknown_customer_names_the_field(client):
    response = client.post("/privacy/new/", {"customer": "nobody", "kind": "access"},
                           headers={"accept-language": "en"}, follow=True)
    assert b"Customer ID, e-mail or phone: No customer with this ID" in response.content
    assert not DataRequest.objects.exists()


def test_export_downloads_json_and_marks_done(client, admin):
    CustomerFactory(external_id="C-1", name="김민수")
    data_request = services.create_request(actor=admin, customer="C-1", kind="access")
    refused = client.post(f"/privacy/{data_request.pk}/action/", {"action": "export"},
                          headers={"accept-language": "en"}, follow=True)
    assert b"Identity verified by: Verify the requester" in refused.content
    services.verify_identity(actor=admin, request_pk=data_request.pk, method="본인 계정")
    response = client.post(f"/privacy/{data_request.pk}/action/", {"action": "export"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "김민수" in response.content.decode()
    assert json.loads(response.content)["sections"]["profile"][0]["external_id"] == "C-1"
    data_request.refresh_from_db()
    assert data_request.status == "done"


def test_refuse_without_reason_is_refused_and_deletion_page_shows_counts(client, admin):
    CustomerFactory(external_id="C-1")
    data_request = services.create_request(actor=Actor(user=make_staff(Role.OWNER)),
                                           customer="C-1", kind="deletion")
    response = client.post(f"/privacy/{data_request.pk}/action/",
                           {"action": "refuse", "reason": ""},
                           headers={"accept-language": "en"}, follow=True)
    assert b"Reason for refusal: This field is required." in response.content
    data_request.refresh_from_db()
    assert data_request.status == "received"
    services.verify_identity(actor=admin, request_pk=data_request.pk, method="본인 계정")
    client.post(f"/privacy/{data_request.pk}/action/", {"action": "complete"})
    assert not Customer.objects.exists()
    page = client.get(f"/privacy/{data_request.pk}/", headers={"accept-language": "en"})
    assert b'data-testid="erased"' in page.content and b"(deleted)" in page.content


def test_navigation_shows_privacy_to_admins(client):
    assert b'href="/privacy/"' in client.get("/privacy/").content


def test_owners_see_requests_read_only_in_django_admin(owner_client, admin):
    CustomerFactory(external_id="C-1")
    data_request = services.create_request(actor=admin, customer="C-1", kind="access")
    assert owner_client.get("/admin/privacy/datarequest/").status_code == 200
    assert owner_client.get(f"/admin/privacy/datarequest/{data_request.pk}/change/"
                            ).status_code == 200
