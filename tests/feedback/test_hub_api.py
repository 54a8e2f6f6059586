"""The feedback stream over the REST API: single and batch intake, idempotent repeats,
bad batches that save nothing, listing with filters, permissions."""

import json

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key
from dangol.feedback import items as items_service
from dangol.feedback.models import FeedbackItem, TextAnalysis

pytestmark = pytest.mark.django_db

REVIEW = {"source": "review", "channel": "네이버 스마트스토어", "external_id": "R-1",
          "text": "배송이 너무 늦어서 실망했어요. 일주일이나 걸렸네요.", "rating": 2,
          "rating_scale": 5, "occurred_at": "2026-11-01T10:00:00+09:00",
          "author": "김** 010-1234-5678", "tags": ["배송"]}


def key_client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="hub", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def writer(owner):
    return key_client(owner, ["feedback.add_items", "feedback.view_items"])


def post(client, body):
    return client.post("/api/feedback/items", json.dumps(body), content_type="application/json")


def test_one_review_is_received_and_its_author_is_stored_masked(writer):
    response = post(writer, REVIEW)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == [True]
    item = FeedbackItem.objects.get(pk=response.json()["ids"][0])
    assert item.channel == "네이버 스마트스토어" and item.rating == 2 and item.rating_scale == 5
    assert "010" not in item.author and "[PHONE]" in item.author
    assert item.tags == ["배송"]


def test_a_batch_is_received_in_order(writer):
    batch = [{**REVIEW, "external_id": f"R-{n}"} for n in range(3)]
    batch.append({"source": "social", "channel": "Instagram", "text": "Love the new colours!"})
    response = post(writer, {"items": batch})
    assert response.status_code == 201, response.content
    ids = response.json()["ids"]
    assert len(ids) == 4 and ids == sorted(ids)
    assert FeedbackItem.objects.count() == 4


def test_a_repeat_changes_nothing_and_returns_the_existing_id(writer):
    first = post(writer, REVIEW).json()["ids"][0]
    again = post(writer, {**REVIEW, "text": "바뀐 글", "rating": 5})
    assert again.status_code == 200, again.content
    assert again.json() == {"ids": [first], "created": [False]}
    item = FeedbackItem.objects.get()
    assert item.text == REVIEW["text"] and item.rating == 2
    # The same id on another channel is another item.
    other = post(writer, {**REVIEW, "channel": "쿠팡"})
    assert other.status_code == 201 and other.json()["ids"][0] != first


def test_a_repeat_inside_one_batch_is_one_item(writer):
    response = post(writer, {"items": [REVIEW, REVIEW]})
    assert response.status_code == 201
    ids = response.json()["ids"]
    assert ids[0] == ids[1] and response.json()["created"] == [True, False]
    assert FeedbackItem.objects.count() == 1


def test_a_bad_batch_names_index_and_field_and_saves_nothing(writer):
    batch = [{**REVIEW, "external_id": "ok-1"},
             {**REVIEW, "external_id": "bad-1", "rating": 7},
             {**REVIEW, "external_id": "bad-2", "source": "fax"},
             {**REVIEW, "external_id": "bad-3", "text": ""}]
    response = post(writer, {"items": batch})
    assert response.status_code == 422, response.content
    fields = {e["field"] for e in response.json()["errors"]}
    assert "items.2.source" in fields and "items.3.text" in fields
    assert any(f.startswith("items.1") for f in fields)
    assert FeedbackItem.objects.count() == 0


def test_a_batch_over_500_is_refused(writer):
    response = post(writer, {"items": [{**REVIEW, "external_id": str(n)} for n in range(501)]})
    assert response.status_code == 422
    assert FeedbackItem.objects.count() == 0


def test_a_key_without_the_scope_cannot_add(owner):
    reader = key_client(owner, ["feedback.view_items"])
    assert post(reader, REVIEW).status_code == 403
    assert FeedbackItem.objects.count() == 0


def test_items_are_listed_with_their_analysis_and_filtered(writer,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(writer, {"items": [
            REVIEW,
            {"source": "app_store", "channel": "App Store", "external_id": "A-1",
             "text": "품질이 정말 좋아요! 가격도 착하고 만족합니다", "rating": 5,
             "occurred_at": "2026-11-05T10:00:00+09:00"}]})
    assert TextAnalysis.objects.filter(source="feedback_item").count() == 2
    body = writer.get("/api/feedback/items").json()
    assert body["total"] == 2
    assert [i["external_id"] for i in body["items"]] == ["A-1", "R-1"]  # newest first
    negative = writer.get("/api/feedback/items", {"sentiment": "negative"}).json()
    assert [i["external_id"] for i in negative["items"]] == ["R-1"]
    assert negative["items"][0]["themes"] == [{"theme": "delivery", "sentiment": "negative"}]
    assert writer.get("/api/feedback/items", {"theme": "price"}).json()["total"] == 1
    assert writer.get("/api/feedback/items", {"source": "review"}).json()["total"] == 1
    assert writer.get("/api/feedback/items", {"channel": "App Store"}).json()["total"] == 1
    assert writer.get("/api/feedback/items", {"q": "일주일"}).json()["total"] == 1
    assert writer.get("/api/feedback/items",
                      {"since": "2026-11-03T00:00:00+09:00"}).json()["total"] == 1
    assert writer.get("/api/feedback/items",
                      {"until": "2026-11-03T00:00:00+09:00"}).json()["total"] == 1
    one = writer.get(f"/api/feedback/items/{body['items'][1]['id']}").json()
    assert one["sentiment"] == "negative" and one["language"] == "ko"
    assert writer.get("/api/feedback/items/999999").status_code == 404


def test_an_item_stored_meanwhile_by_another_request_is_returned_not_duplicated(
        writer, owner, monkeypatch):
    first = post(writer, REVIEW).json()["ids"][0]
    real = items_service._existing
    calls = []

    def missed_once(keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(keys)

    monkeypatch.setattr(items_service, "_existing", missed_once)
    again = post(writer, REVIEW)
    assert again.status_code == 200, again.content
    assert again.json()["ids"] == [first] and len(calls) == 2
    assert FeedbackItem.objects.count() == 1
