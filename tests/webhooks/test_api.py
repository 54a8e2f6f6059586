"""The webhooks REST API: endpoints, deliveries, replay and test sends."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.accounts.permissions import Role
from dangol.accounts.services import create_api_key
from dangol.webhooks.models import Delivery, DeliveryKind, DeliveryStatus, Endpoint
from dangol.webhooks.services import publish
from tests.conftest import make_staff

COMPLETED = "survey.response.completed"
BASE = "/api/webhooks"


@pytest.fixture
def client(owner) -> Client:
    token = create_api_key(actor=Actor(user=owner), name="hooks",
                           scopes=["webhooks.manage"]).token
    return Client(headers={"Authorization": f"Bearer {token}"})


def post(client: Client, path: str, body: dict | None = None):
    return client.post(BASE + path, body or {}, content_type="application/json")


def fields(response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_create_list_update_and_delete_an_endpoint(client):
    created = post(client, "/endpoints", {"url": "https://example.com/hooks",
                                          "description": "CRM", "event_types": [COMPLETED]})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == [COMPLETED]

    listed = client.get(BASE + "/endpoints").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]

    changed = client.patch(f"{BASE}/endpoints/{body['id']}",
                           {"event_types": ["*"], "active": False},
                           content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["event_types"] == ["*"] and changed.json()["active"] is False
    assert changed.json()["url"] == "https://example.com/hooks"

    rotated = post(client, f"/endpoints/{body['id']}/rotate-secret").json()
    assert rotated["secret"] != body["secret"]

    assert client.delete(f"{BASE}/endpoints/{body['id']}").status_code == 204
    assert client.get(f"{BASE}/endpoints/{body['id']}").status_code == 404


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"url": "not a url"}, "url", "validation_error"),
    ({"url": "ftp://example.com/hooks"}, "url", "validation_error"),
    ({"url": "javascript:alert(1)"}, "url", "validation_error"),
    ({"url": "https://example.com", "event_types": ["survey.made.up"]}, "event_types",
     "validation_error"),
    ({"url": "https://example.com", "event_types": []}, "event_types", "validation_error"),
    ({"event_types": ["*"]}, "url", "validation_error"),
])
def test_bad_endpoint_input_is_refused_naming_the_field(client, body, field, code):
    response = post(client, "/endpoints", body)
    assert response.status_code == 422
    assert response.json()["code"] == code and field in fields(response)
    assert not Endpoint.objects.exists()


def test_a_bad_update_changes_nothing(client):
    endpoint_id = post(client, "/endpoints", {"url": "https://example.com/a"}).json()["id"]
    response = client.patch(f"{BASE}/endpoints/{endpoint_id}",
                            {"url": "gopher://x", "description": "changed"},
                            content_type="application/json")
    assert response.status_code == 422 and fields(response) == {"url"}
    endpoint = Endpoint.objects.get()
    assert endpoint.url == "https://example.com/a" and endpoint.description == ""


def test_staff_and_keys_without_the_permission_are_refused(db, owner):
    analyst = Client()
    analyst.force_login(make_staff(Role.ANALYST))
    assert analyst.get(BASE + "/endpoints").status_code == 403
    token = create_api_key(actor=Actor(user=owner), name="other",
                           scopes=["customers.view"]).token
    other = Client(headers={"Authorization": f"Bearer {token}"})
    response = post(other, "/endpoints", {"url": "https://example.com/hooks"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not Endpoint.objects.exists()


def test_replay_resends_only_the_events_in_the_range_with_their_ids(
        client, webhook_receiver, django_capture_on_commit_callbacks):
    endpoint = post(client, "/endpoints", {"url": webhook_receiver.url,
                                           "event_types": [COMPLETED]}).json()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        old = publish(event_type=COMPLETED, payload={"n": 1}, occurred_at=now - timedelta(days=3))
        inside = [publish(event_type=COMPLETED, payload={"n": n},
                          occurred_at=now - timedelta(hours=n)) for n in (2, 3)]
        publish(event_type="survey.other.thing", payload={}, occurred_at=now - timedelta(hours=2))
    assert len(webhook_receiver.received) == 3
    webhook_receiver.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/endpoints/{endpoint['id']}/replay", {
            "event_type": "*", "since": (now - timedelta(days=1)).isoformat(),
            "until": now.isoformat()})

    assert response.status_code == 202 and response.json()["deliveries_created"] == 2
    assert sorted(webhook_receiver.event_ids()) == sorted(str(e.uid) for e in inside)
    assert str(old.uid) not in webhook_receiver.event_ids()
    replayed = client.get(BASE + "/deliveries", {"kind": "replay", "status": "succeeded"}).json()
    assert len(replayed["items"]) == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"event_type": "no.such.type", "since": "2026-01-02T00:00:00Z",
      "until": "2026-01-03T00:00:00Z"}, "event_type"),
    ({"event_type": "*", "since": "2026-01-03T00:00:00Z", "until": "2026-01-02T00:00:00Z"},
     "until"),
    ({"event_type": "*", "since": "yesterday", "until": "2026-01-02T00:00:00Z"}, "since"),
    ({"event_type": "webhook.test", "since": "2026-01-01T00:00:00Z",
      "until": "2026-01-02T00:00:00Z"}, "event_type"),
])
def test_bad_replay_input_is_refused_naming_the_field(client, body, field):
    endpoint = post(client, "/endpoints", {"url": "https://example.com/h",
                                           "event_types": [COMPLETED]}).json()
    response = post(client, f"/endpoints/{endpoint['id']}/replay", body)
    assert response.status_code == 422 and field in fields(response)
    assert not Delivery.objects.exists()


def test_replay_of_an_unknown_endpoint_is_404(client):
    response = post(client, "/endpoints/999/replay", {
        "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"})
    assert response.status_code == 404 and response.json()["code"] == "endpoint_not_found"


def test_send_a_test_event(client, webhook_receiver, django_capture_on_commit_callbacks):
    endpoint = post(client, "/endpoints", {"url": webhook_receiver.url,
                                           "event_types": [COMPLETED]}).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/endpoints/{endpoint['id']}/test")
    assert response.status_code == 202 and response.json()["event_type"] == "webhook.test"
    [request] = webhook_receiver.received
    assert request.signature_ok(endpoint["secret"])
    assert request.json()["type"] == "webhook.test"
    delivery = client.get(f"{BASE}/deliveries/{response.json()['id']}").json()
    assert delivery["status"] == "succeeded" and delivery["last_status_code"] == 200


def test_list_deliveries_filters_and_pages(client, webhook_receiver,
                                           django_capture_on_commit_callbacks):
    first = post(client, "/endpoints", {"url": webhook_receiver.url}).json()
    post(client, "/endpoints", {"url": webhook_receiver.url + "?b"})
    webhook_receiver.statuses = [500]  # the first request fails
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            publish(event_type=COMPLETED, payload={"n": n})

    everything = client.get(BASE + "/deliveries").json()
    assert len(everything["items"]) == 6 and everything["next_cursor"] is None
    pending = client.get(BASE + "/deliveries", {"status": "pending"}).json()["items"]
    assert len(pending) == 1 and pending[0]["last_status_code"] == 500
    mine = client.get(BASE + "/deliveries", {"endpoint_id": first["id"]}).json()["items"]
    assert {d["endpoint_id"] for d in mine} == {first["id"]} and len(mine) == 3

    page_one = client.get(BASE + "/deliveries", {"limit": 4}).json()
    page_two = client.get(BASE + "/deliveries", {"limit": 4,
                                                 "cursor": page_one["next_cursor"]}).json()
    ids = [d["id"] for d in page_one["items"] + page_two["items"]]
    assert len(ids) == 6 == len(set(ids)) and page_two["next_cursor"] is None

    for params, field in (({"event_type": "made.up"}, "event_type"),
                          ({"status": "lost"}, "status"), ({"cursor": "abc"}, "cursor")):
        response = client.get(BASE + "/deliveries", params)
        assert response.status_code == 422 and field in fields(response)
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING,
                                   kind=DeliveryKind.LIVE).count() == 1


def test_resend_a_given_up_delivery(client, webhook_receiver,
                                    django_capture_on_commit_callbacks):
    endpoint = post(client, "/endpoints", {"url": webhook_receiver.url}).json()
    webhook_receiver.status = 404
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = publish(event_type=COMPLETED, payload={"n": 1})
    Delivery.objects.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    failed = Delivery.objects.get()
    webhook_receiver.status = 200

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"/deliveries/{failed.pk}/resend")

    assert response.status_code == 202 and response.json()["kind"] == "replay"
    again = client.get(f"{BASE}/deliveries/{response.json()['id']}").json()
    assert again["status"] == "succeeded" and again["event_id"] == str(event.uid)
    assert webhook_receiver.event_ids() == [str(event.uid), str(event.uid)]
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.FAILED  # its history stays as it was

    client.patch(f"{BASE}/endpoints/{endpoint['id']}", {"active": False},
                 content_type="application/json")
    refused = post(client, f"/deliveries/{failed.pk}/resend")
    assert refused.status_code == 409 and refused.json()["code"] == "endpoint_inactive"
    assert post(client, "/deliveries/999/resend").status_code == 404
