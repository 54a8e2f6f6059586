"""Staff pages for webhook endpoints."""

from datetime import timedelta

from django.db import transaction
from django.test import Client
from django.utils import timezone

from dangol.accounts.permissions import Role
from dangol.webhooks.models import Delivery, DeliveryKind, Endpoint
from dangol.webhooks.services import publish
from tests.conftest import make_staff

COMPLETED = "survey.response.completed"


def test_create_an_endpoint_shows_its_secret_once(owner_client, webhook_receiver):
    page = owner_client.get("/webhooks/")
    assert page.status_code == 200 and 'href="/webhooks/"' in page.content.decode()

    response = owner_client.post("/webhooks/", {"url": webhook_receiver.url,
                                                "description": "CRM", "event_types": [COMPLETED],
                                                "active": "on"}, follow=True)

    endpoint = Endpoint.objects.get()
    assert endpoint.event_types == [COMPLETED] and endpoint.active
    body = response.content.decode()
    assert 'data-testid="new-secret"' in body and endpoint.secret in body
    again = owner_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert 'data-testid="new-secret"' not in again


def test_a_bad_url_is_refused_next_to_the_field(owner_client):
    response = owner_client.post("/webhooks/", {"url": "ftp://example.com/x",
                                                "event_types": ["*"]})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not Endpoint.objects.exists()


def test_detail_lists_deliveries_and_replays_a_range(owner_client, webhook_receiver,
                                                    django_capture_on_commit_callbacks):
    owner_client.post("/webhooks/", {"url": webhook_receiver.url, "event_types": ["*"],
                                     "active": "on"})
    endpoint = Endpoint.objects.get()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = publish(event_type=COMPLETED, payload={"response_id": 3})

    page = owner_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert str(event.uid) in page and "200" in page

    now = timezone.localtime()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/webhooks/{endpoint.pk}/replay/", {
            "event_type": COMPLETED,
            "since": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "until": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert Delivery.objects.filter(kind=DeliveryKind.REPLAY).count() == 1
    assert webhook_receiver.event_ids() == [str(event.uid), str(event.uid)]

    bad = owner_client.post(f"/webhooks/{endpoint.pk}/replay/", {
        "event_type": "*", "since": now.strftime("%Y-%m-%dT%H:%M"),
        "until": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert bad.status_code == 422 and bad.context["replay_form"].errors["until"]


def test_send_test_event_from_the_page(owner_client, webhook_receiver,
                                       django_capture_on_commit_callbacks):
    owner_client.post("/webhooks/", {"url": webhook_receiver.url, "event_types": [COMPLETED],
                                     "active": "on"})
    endpoint = Endpoint.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/webhooks/{endpoint.pk}/test/")
    [request] = webhook_receiver.received
    assert request.json()["type"] == "webhook.test" and request.signature_ok(endpoint.secret)


def test_only_staff_who_manage_webhooks_see_the_pages(db):
    analyst = Client()
    analyst.force_login(make_staff(Role.ANALYST))
    assert analyst.get("/webhooks/").status_code == 403
    admin = Client()
    admin.force_login(make_staff(Role.ADMIN))
    assert admin.get("/webhooks/").status_code == 200
    assert admin.get("/webhooks/999/").status_code == 404


def test_the_endpoint_page_filters_deliveries_by_status(owner_client, webhook_receiver,
                                                         django_capture_on_commit_callbacks):
    owner_client.post("/webhooks/", {"url": webhook_receiver.url, "event_types": ["*"],
                                     "active": "on"})
    endpoint = Endpoint.objects.get()
    webhook_receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        failing = publish(event_type=COMPLETED, payload={"n": 1})
        delivered = publish(event_type=COMPLETED, payload={"n": 2})

    pending = owner_client.get(f"/webhooks/{endpoint.pk}/", {"status": "pending"})
    assert [d.event_id for d in pending.context["deliveries"]] == [failing.pk]
    everything = owner_client.get(f"/webhooks/{endpoint.pk}/", {"status": "nonsense"})
    assert {d.event_id for d in everything.context["deliveries"]} == {failing.pk, delivered.pk}


def test_a_given_up_delivery_can_be_sent_again_from_the_page(
        owner_client, webhook_receiver, django_capture_on_commit_callbacks):
    owner_client.post("/webhooks/", {"url": webhook_receiver.url, "event_types": ["*"],
                                     "active": "on"})
    endpoint = Endpoint.objects.get()
    webhook_receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = publish(event_type=COMPLETED, payload={"n": 1})
    Delivery.objects.update(status="failed", next_attempt_at=None)
    failed = Delivery.objects.get()
    page = owner_client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert f"/webhooks/{endpoint.pk}/deliveries/{failed.pk}/resend/" in page

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"/webhooks/{endpoint.pk}/deliveries/{failed.pk}/resend/")

    assert webhook_receiver.event_ids() == [str(event.uid), str(event.uid)]
    assert Delivery.objects.filter(status="succeeded", kind=DeliveryKind.REPLAY).count() == 1
