"""The read API of the outbox."""

from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key
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
