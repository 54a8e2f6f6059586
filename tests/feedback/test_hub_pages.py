"""The feedback stream page (filters, summary, paging), customer matching and the
customer timeline."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangol.accounts.actors import Actor
from dangol.feedback.items import receive_items
from dangol.feedback.models import FeedbackItem
from tests.conftest import make_staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROWS = [
    {"source": "review", "channel": "네이버 스마트스토어", "external_id": "N-1",
     "text": "배송이 너무 늦어서 실망했어요.", "rating": 1, "rating_scale": 5,
     "occurred_at": "2026-10-01T10:00:00+09:00"},
    {"source": "review", "channel": "쿠팡", "external_id": "K-1",
     "text": "품질이 정말 좋아요! 가격도 착하고 만족합니다", "rating": 5,
     "occurred_at": "2026-10-10T10:00:00+09:00"},
    {"source": "social", "channel": "Instagram", "external_id": "IG-1",
     "text": "포장이 엉망이라 화가 나요", "occurred_at": "2026-10-20T10:00:00+09:00"},
]


@pytest.fixture
def stream(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive_items(actor=Actor(user=owner), rows=ROWS)


def shown(response):
    return [i["item"].external_id for i in response.context["rows"]]


def test_the_stream_shows_newest_first_with_a_summary(owner_client, stream):
    response = owner_client.get("/feedback/")
    assert response.status_code == 200
    assert shown(response) == ["IG-1", "K-1", "N-1"]
    summary = response.context["summary"]
    assert summary.sentiments == {"positive": 1, "neutral": 0, "negative": 2}
    assert {key for key, _label, _n in summary.themes} >= {"delivery", "quality", "packaging"}
    page = response.content.decode()
    assert "네이버 스마트스토어" in page and "★ 1 / 5" in page


def test_the_stream_is_filtered(owner_client, stream):
    assert shown(owner_client.get("/feedback/", {"source": "social"})) == ["IG-1"]
    assert shown(owner_client.get("/feedback/", {"channel": "쿠팡"})) == ["K-1"]
    assert shown(owner_client.get("/feedback/", {"sentiment": "negative"})) == ["IG-1", "N-1"]
    by_theme = owner_client.get("/feedback/", {"theme": "delivery"})
    assert shown(by_theme) == ["N-1"]
    assert by_theme.context["summary"].sentiments["negative"] == 1
    assert shown(owner_client.get("/feedback/", {"q": "가격"})) == ["K-1"]
    assert shown(owner_client.get("/feedback/", {"since": "2026-10-05",
                                                 "until": "2026-10-10"})) == ["K-1"]


def test_the_stream_is_paged(owner_client, owner):
    receive_items(actor=Actor(user=owner), rows=[
        {"source": "other", "external_id": str(n), "text": f"의견 {n}",
         "occurred_at": f"2026-09-01T{n % 24:02d}:{n // 24:02d}:00+09:00"} for n in range(30)])
    first = owner_client.get("/feedback/")
    second = owner_client.get("/feedback/", {"page": 2})
    assert len(shown(first)) == 25 and len(shown(second)) == 5
    assert not set(shown(first)) & set(shown(second))


def test_agents_read_the_stream_but_cannot_import(db):
    client = Client()
    client.force_login(make_staff("agent"))
    assert client.get("/feedback/").status_code == 200
    assert client.get("/feedback/import/").status_code == 403


def test_customers_are_matched_by_id_email_or_phone(owner):
    by_id = CustomerFactory(external_id="C-1")
    by_email = CustomerFactory(email="minji@example.com")
    by_phone = CustomerFactory(phone="+821055556666")
    result = receive_items(actor=Actor(user=owner), rows=[
        {"source": "conversation", "text": "문의", "customer_id": "C-1"},
        {"source": "conversation", "text": "문의", "customer_email": "MINJI@example.com"},
        {"source": "conversation", "text": "문의", "customer_phone": "010-5555-6666"},
        {"source": "conversation", "text": "문의", "customer_id": "C-404"}])
    customers = [FeedbackItem.objects.get(pk=pk).customer for pk in result.ids]
    assert customers == [by_id, by_email, by_phone, None]
    assert FeedbackItem.objects.get(pk=result.ids[3]).customer_external_id == "C-404"


def test_a_matched_customer_page_shows_their_reviews(owner_client, owner,
                                                     django_capture_on_commit_callbacks):
    customer = CustomerFactory(external_id="C-9")
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_items(actor=Actor(user=owner), rows=[
            {**ROWS[0], "customer_id": "C-9"}])
    response = owner_client.get(f"/customers/{customer.pk}/")
    entries = [e for e in response.context["timeline"] if e.kind == "feedback_item"]
    assert len(entries) == 1
    # The page is in Korean (the default language): "…의 상품 리뷰: 5점 중 1점".
    assert "네이버 스마트스토어" in str(entries[0].title) and "5점 중 1점" in str(entries[0].title)
    assert "배송" in entries[0].detail
    assert entries[0].url == f"/feedback/items/{result.ids[0]}/"
    stream = owner_client.get("/feedback/").content.decode()
    assert f'href="/customers/{customer.pk}/"' in stream
    item = owner_client.get(entries[0].url)
    assert item.status_code == 200 and "배송이 너무 늦어서" in item.content.decode()


def test_the_stream_page_queries_do_not_grow_with_the_items(owner_client, owner,
                                                            django_capture_on_commit_callbacks,
                                                            django_assert_max_num_queries):
    def add(start, n):
        customer = CustomerFactory()
        with django_capture_on_commit_callbacks(execute=True):
            receive_items(actor=Actor(user=owner), rows=[
                {"source": "review", "external_id": f"Q-{k}", "text": "배송이 늦어요",
                 "customer_id": customer.external_id} for k in range(start, start + n)])

    add(0, 2)
    with CaptureQueriesContext(connection) as few:
        owner_client.get("/feedback/")
    add(2, 23)
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get("/feedback/")
