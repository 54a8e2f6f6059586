"""Cases opened by negative reviews and posts of the feedback hub."""

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.cases.models import Case, Source
from dangol.cases.services import automation
from dangol.feedback.items import receive_items
from dangol.feedback.models import FeedbackItem
from dangol.surveys.services.responses import submit_response
from tests.cases.conftest import make_rule
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def receive(capture, *rows):
    with capture(execute=True):
        return receive_items(actor=SYSTEM, rows=[
            {"source": "review", "channel": "스마트스토어", **row} for row in rows]).ids


def test_a_negative_review_opens_one_case_linked_to_the_item_and_the_customer(
        django_capture_on_commit_callbacks, agent):
    make_rule(condition="negative_review", threshold=None, name="Bad reviews", priority="high",
              assignee=agent)
    customer = CustomerFactory(external_id="C-7")
    ids = receive(django_capture_on_commit_callbacks,
                  {"external_id": "R1", "customer_id": "C-7",
                   "text": "배송이 너무 늦고 포장도 엉망이에요. 정말 실망했어요"},
                  {"external_id": "R2", "text": "배송이 빠르고 품질이 좋아요. 만족합니다"})
    case = Case.objects.get()
    assert (case.source, case.feedback_item_id, case.customer_id) == (
        Source.FEEDBACK_ITEM, ids[0], customer.pk)
    assert (case.rule.name, case.priority, case.assignee) == ("Bad reviews", "high", agent)
    assert "스마트스토어" in case.subject and "배송" in case.reason
    # Analysing again opens nothing new.
    assert automation.open_cases_for_items(item_pks=ids) == []
    assert Case.objects.count() == 1


def test_a_low_rating_opens_a_case_even_when_the_words_are_mild(
        django_capture_on_commit_callbacks):
    make_rule(condition="negative_review", threshold=None)
    ids = receive(django_capture_on_commit_callbacks,
                  {"external_id": "R3", "text": "괜찮아요", "rating": 1, "rating_scale": 5},
                  {"external_id": "R4", "text": "괜찮아요", "rating": 3, "rating_scale": 5})
    case = Case.objects.get()
    assert case.feedback_item_id == ids[0] and case.customer_id is None
    assert "1" in case.subject


def test_without_a_review_rule_reviews_open_nothing_and_survey_rules_ignore_reviews(
        django_capture_on_commit_callbacks, survey):
    make_rule(threshold=6)  # an NPS rule
    receive(django_capture_on_commit_callbacks,
            {"external_id": "R5", "text": "최악이에요. 환불해 주세요", "rating": 1})
    assert not Case.objects.exists()
    make_rule(condition="negative_review", threshold=None, name="Reviews")
    # A review rule does not take part in survey completions.
    submit_response(survey=survey, answers={"nps": 9}, language="ko",
                    customer_pk=CustomerFactory().pk)
    assert not Case.objects.exists()
    assert automation.open_cases_for_items(item_pks=list(
        FeedbackItem.objects.values_list("pk", flat=True)))[0].rule.name == "Reviews"


def test_the_case_page_shows_the_review(django_capture_on_commit_callbacks, owner_client):
    make_rule(condition="negative_review", threshold=None)
    ids = receive(django_capture_on_commit_callbacks,
                  {"external_id": "R6", "text": "사이즈가 너무 작아요 실망", "rating": 2})
    case = Case.objects.get()
    page = owner_client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="feedback-item"' in page and f"/feedback/items/{ids[0]}/" in page
