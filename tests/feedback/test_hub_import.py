"""Importing feedback items from a CSV file on the page: all rows or none, problems named
by row and column, repeats left as they are."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangol.feedback.models import FeedbackItem
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = ("source,channel,external_id,text,rating,rating_scale,occurred_at,customer_id,"
          "product_id,author,url,tags\n")


def upload(client, text, name="reviews.csv", encoding="utf-8"):
    return client.post("/feedback/import/",
                       {"file": SimpleUploadedFile(name, text.encode(encoding))},
                       headers={"Accept-Language": "en"})


def test_a_good_file_is_imported_with_customers_and_products_matched(owner_client):
    customer = CustomerFactory(external_id="C-77")
    product = ProductFactory(external_id="SKU-1")
    text = HEADER + (
        'review,네이버 스마트스토어,N-1,"배송이 늦었어요, 그래도 품질은 좋아요",4,5,'
        "2026-10-01 12:00,C-77,SKU-1,김**,https://smartstore.naver.com/r/1,\"배송,품질\"\n"
        "interview,FGI 10월,I-1,포장이 너무 과해요,,,2026-10-02,,,,,포장\n")
    response = upload(owner_client, text)
    assert response.status_code == 302, response.content.decode()[:2000]
    review = FeedbackItem.objects.get(external_id="N-1")
    assert review.customer == customer and review.product == product
    assert review.rating == 4 and review.tags == ["배송", "품질"]
    note = FeedbackItem.objects.get(external_id="I-1")
    assert note.source == "interview" and note.rating is None and note.tags == ["포장"]
    # Importing the same file again adds nothing.
    assert upload(owner_client, text).status_code == 302
    assert FeedbackItem.objects.count() == 2


def test_a_cp949_file_from_korean_excel_is_read(owner_client):
    text = "source,channel,external_id,text\nreview,쿠팡,K-1,사이즈가 딱 맞아요\n"
    assert upload(owner_client, text, encoding="cp949").status_code == 302
    assert FeedbackItem.objects.get().text == "사이즈가 딱 맞아요"


def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_saved(owner_client):
    text = HEADER + (
        "review,쿠팡,K-1,좋아요,5,5,2026-10-01,,,,,\n"
        "review,쿠팡,K-2,별로예요,9,5,2026-10-01,,,,,\n"
        "tweet,X,T-1,hello,,,2026-10-01,,,,,\n"
        "review,쿠팡,K-3,괜찮아요,,,not a date,,,,ftp://x,\n")
    response = upload(owner_client, text)
    assert response.status_code == 422
    page = response.content.decode()
    assert "row 3" in page  # rating above its scale
    assert "row 4, column source" in page
    assert "row 5, column occurred_at" in page and "row 5, column url" in page
    assert FeedbackItem.objects.count() == 0


def test_an_unknown_or_missing_column_is_named(owner_client):
    response = upload(owner_client, "channel,comment\n쿠팡,좋아요\n")
    page = response.content.decode()
    assert response.status_code == 422
    assert "column comment" in page and "column source" in page and "column text" in page
    assert FeedbackItem.objects.count() == 0


def test_staff_without_the_permission_cannot_import(client_for):
    marketer = client_for("marketer")
    response = upload(marketer, "source,text\nreview,좋아요\n")
    assert response.status_code == 403
    assert FeedbackItem.objects.count() == 0
