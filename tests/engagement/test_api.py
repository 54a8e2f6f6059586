"""The read API of the outbox."""

from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key
from dangol.engagement.models import Message
from dangol.engagement.services import queue_message
from tests.factories import CustomerFactory


def test_messages_can_be_listed_filtered_and_read_with_their_history(owner, customer):
    token = create_api_key(actor=Actor(user=owner), name="t",
                           scopes=["engagement.view"]).token
    api = Client(headers={"Authorization": f"Bearer {token}"})
    email = queue_message(customer=customer, channel="email", purpose="transactional",
                          subject="설문 초대", body="b", source="survey_invitation")
    blocked = queue_message(customer=CustomerFactory(phone=""), channel="sms",
                            purpose="transactional", body="b")

    body = api.get("/api/engagement/messages?limit=1").json()
    assert [m["id"] for m in body["items"]] == [blocked.pk]
    body = api.get(f"/api/engagement/messages?cursor={body['next_cursor']}").json()
    assert [m["id"] for m in body["items"]] == [email.pk]
    assert body["items"][0]["customer_id"] == customer.external_id

    body = api.get("/api/engagement/messages?status=blocked").json()
    assert [(m["id"], m["block_reason"]) for m in body["items"]] == [(blocked.pk, "no_address")]

    detail = api.get(f"/api/engagement/messages/{email.pk}").json()
    assert detail["subject"] == "설문 초대"
    assert [e["status"] for e in detail["events"]] == ["queued"]
    assert api.get("/api/engagement/messages/999999").status_code == 404

    response = api.get("/api/engagement/messages?channel=fax")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "channel"


def test_a_key_without_the_scope_is_refused(api, customer):
    response = api.get("/api/engagement/messages")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_messages_can_be_sent_through_the_api(owner, customer, smtp_server,
                                              django_capture_on_commit_callbacks):
    token = create_api_key(actor=Actor(user=owner), name="t",
                           scopes=["engagement.send", "engagement.view"]).token
    api = Client(headers={"Authorization": f"Bearer {token}"})
    payload = {"customer_id": customer.external_id, "channel": "email",
               "purpose": "transactional", "subject": "주문 확인", "body": "감사합니다.",
               "source": "shop", "dedupe_key": "order:1001"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/engagement/messages", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued"
    assert [m["Subject"] for m in smtp_server.messages] == ["주문 확인"]

    again = api.post("/api/engagement/messages", payload, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["id"] == response.json()["id"]
    assert len(smtp_server.messages) == 1

    ad = api.post("/api/engagement/messages", {**payload, "purpose": "ad", "dedupe_key": None},
                  content_type="application/json")
    assert ad.status_code == 201
    assert (ad.json()["status"], ad.json()["block_reason"]) == ("blocked", "no_consent")


def test_sending_names_the_bad_field_or_the_missing_customer(owner, customer):
    token = create_api_key(actor=Actor(user=owner), name="t", scopes=["engagement.send"]).token
    api = Client(headers={"Authorization": f"Bearer {token}"})
    response = api.post("/api/engagement/messages",
                        {"customer_id": customer.external_id, "channel": "fax",
                         "purpose": "transactional", "body": "b"},
                        content_type="application/json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["channel"]
    response = api.post("/api/engagement/messages",
                        {"customer_id": "nobody", "channel": "sms",
                         "purpose": "transactional", "body": "b"},
                        content_type="application/json")
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_sending_needs_the_send_scope(api, customer):
    response = api.post("/api/engagement/messages",
                        {"customer_id": customer.external_id, "channel": "sms",
                         "purpose": "transactional", "body": "b"},
                        content_type="application/json")
    assert response.status_code == 403
