"""Personal-data requests: receiving, verifying, exporting, erasing, withdrawing, refusing."""

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.permissions import Role
from dangol.cases.models import Case
from dangol.cases.services import open_case
from dangol.core.errors import DomainError, PermissionDenied, ValidationFailed
from dangol.customers.models import Consent, ConsentEvent, Customer, Order
from dangol.customers.schemas import ConsentIn, CustomerIn
from dangol.customers.services import upsert_customer
from dangol.engagement.models import Message
from dangol.feedback.models import FeedbackItem
from dangol.loyalty.models import Entry
from dangol.loyalty.services import earn_points, redeem_points, reverse_entry
from dangol.privacy import services
from dangol.privacy.models import DataRequest
from dangol.surveys.models import Answer
from dangol.surveys.services.responses import submit_response
from tests.conftest import make_staff
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

COMMENT = "배송이 늦었어요. 010-9876-5432 로 연락 주세요"
REVIEW = "사이즈가 작아요. 교환하려면 minsu@example.com 으로 연락 바랍니다"


def customer_with_data(survey):
    customer = CustomerFactory(external_id="C-1", name="김민수", email="minsu@example.com",
                               phone="+821012345678")
    upsert_customer(actor=SYSTEM, data=CustomerIn(external_id="C-1", consents=[
        ConsentIn(channel="email", granted=True), ConsentIn(channel="sms", granted=True)]))
    OrderLineFactory(order=OrderFactory(customer=customer, external_id="O-1"))
    response, _created = submit_response(survey=survey, answers={"nps": 3, "comment": COMMENT},
                                         language="ko", customer_pk=customer.pk)
    earn_points(actor=SYSTEM, customer_pk=customer.pk, points=500, source="order",
                idempotency_key="earn-1")
    redeem_points(actor=SYSTEM, customer_pk=customer.pk, points=200, idempotency_key="use-1")
    Message.objects.create(customer=customer, channel="email", purpose="service",
                           subject="주문 확인", body="주문이 접수되었습니다", status="sent")
    open_case(actor=SYSTEM, customer_pk=customer.pk, subject="배송 지연", priority="normal")
    FeedbackItem.objects.create(
        source="review", channel="스마트스토어", external_id="R-1", customer=customer,
        customer_external_id="C-1", author="김민수", text=REVIEW, url="https://example.com/r/1",
        occurred_at=timezone.now(), received_at=timezone.now())
    return customer, response


def new_request(actor, kind, customer="C-1", **extra):
    return services.create_request(actor=actor, customer=customer, kind=kind, **extra)


def test_request_is_due_ten_days_after_receipt_and_keeps_the_customer_masked(admin):
    CustomerFactory(external_id="C-1", name="김민수")
    received = timezone.now() - timedelta(days=3)
    data_request = new_request(admin, "access", received_at=received)
    assert data_request.due_at == received + timedelta(days=10)
    assert (data_request.customer_external_id, data_request.customer_name_masked) == (
        "C-1", "김**")
    assert data_request.status == "received"
    assert data_request.days_left() == 7
    assert not data_request.is_overdue()
    assert data_request.days_left(received + timedelta(days=10, hours=1)) == -1
    assert data_request.days_left(received + timedelta(days=12, hours=1)) == -2
    assert data_request.is_overdue(received + timedelta(days=10, seconds=1))
    assert AuditEntry.objects.filter(object_type="privacy.datarequest", action="create").exists()


def test_customer_is_found_by_email_or_phone(admin):
    customer = CustomerFactory(external_id="C-1", email="minsu@example.com",
                               phone="+821012345678")
    assert new_request(admin, "access", customer="MINSU@example.com").customer == customer
    assert new_request(admin, "access", customer="010-1234-5678").customer == customer


def test_bad_input_names_the_field_and_records_nothing(admin):
    with pytest.raises(ValidationFailed) as error:
        new_request(admin, "forget-me", customer="nobody")
    assert {p.field for p in error.value.problems} == {"customer", "kind"}
    with pytest.raises(ValidationFailed) as error:
        new_request(admin, "access", customer="")
    assert [p.field for p in error.value.problems] == ["customer"]
    assert not DataRequest.objects.exists()


def test_only_owners_and_admins_handle_requests(db):
    CustomerFactory(external_id="C-1")
    with pytest.raises(PermissionDenied):
        new_request(Actor(user=make_staff(Role.AGENT)), "access")
    new_request(Actor(user=make_staff(Role.OWNER)), "access")


def test_refusing_needs_a_reason(admin):
    CustomerFactory(external_id="C-1")
    data_request = new_request(admin, "deletion")
    with pytest.raises(ValidationFailed) as error:
        services.refuse_request(actor=admin, request_pk=data_request.pk, reason="  ")
    assert error.value.problems[0].field == "reason"
    data_request.refresh_from_db()
    assert data_request.status == "received"
    reason = "법령상 보존 의무가 있는 거래기록"
    refused = services.refuse_request(actor=admin, request_pk=data_request.pk, reason=reason)
    assert (refused.status, refused.refusal_reason) == ("refused", reason)
    assert refused.completed_at is not None
    with pytest.raises(DomainError) as finished:
        services.complete_request(actor=admin, request_pk=data_request.pk,
                                  identity_verification="본인 계정")
    assert finished.value.code == "request_finished"


def test_the_database_refuses_a_refusal_without_reason(admin):
    CustomerFactory(external_id="C-1")
    data_request = new_request(admin, "access")
    with pytest.raises(IntegrityError), transaction.atomic():
        DataRequest.objects.filter(pk=data_request.pk).update(status="refused")


def test_completing_needs_identity_verification(admin, survey):
    customer_with_data(survey)
    data_request = new_request(admin, "deletion")
    with pytest.raises(ValidationFailed) as error:
        services.complete_request(actor=admin, request_pk=data_request.pk)
    assert error.value.problems[0].field == "identity_verification"
    assert Customer.objects.filter(external_id="C-1").exists()
    data_request.refresh_from_db()
    assert (data_request.status, data_request.erased) == ("received", {})
    verified = services.verify_identity(actor=admin, request_pk=data_request.pk,
                                        method="휴대폰 본인인증")
    assert (verified.status, verified.identity_verification) == ("in_progress", "휴대폰 본인인증")


def test_deletion_erases_across_apps_and_keeps_the_request_with_counts(admin, survey):
    customer, response = customer_with_data(survey)
    data_request = new_request(admin, "deletion")
    services.verify_identity(actor=admin, request_pk=data_request.pk, method="본인 계정 로그인")
    done = services.complete_request(actor=admin, request_pk=data_request.pk,
                                     result_note="삭제 완료 통지")
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Order.objects.filter(external_id="O-1").exists()
    assert not Consent.objects.exists() and not ConsentEvent.objects.exists()
    assert not Message.objects.exists() and not Case.objects.exists()
    assert not Entry.objects.exists()
    response.refresh_from_db()
    assert response.customer_id is None and response.invitation_id is None
    assert response.answers["nps"] == 3
    assert "9876" not in json.dumps(response.answers, ensure_ascii=False)
    comment = Answer.objects.get(response=response, question="comment")
    assert "배송이 늦었어요" in comment.text and "9876" not in comment.text
    done.refresh_from_db()
    assert (done.status, done.customer_id, done.customer_external_id) == ("done", None, "C-1")
    assert done.erased["customers"] == {"orders": 1, "consents": 2, "consent_events": 2}
    assert done.erased["survey_responses"] == {"responses_anonymised": 1, "answers_masked": 1}
    assert done.erased["loyalty_ledger"]["entries"] == 2
    assert (done.erased["loyalty_ledger"]["points_added"],
            done.erased["loyalty_ledger"]["points_taken"]) == (500, 200)
    assert done.erased["messages"] == {"messages": 1}
    assert done.erased["cases"] == {"cases": 1}
    assert done.erased["feedback_items"] == {"feedback_items_anonymised": 1}
    review = FeedbackItem.objects.get(external_id="R-1")
    assert (review.customer_id, review.customer_external_id, review.author, review.url) == (
        None, "", "", "")
    assert "사이즈가 작아요" in review.text and "minsu@" not in review.text
    assert AuditEntry.objects.filter(action="delete", object_type="customers.customer",
                                     object_id=str(customer.pk)).exists()


def test_withdrawal_withdraws_every_consent_with_its_history(admin, survey):
    customer, _response = customer_with_data(survey)
    data_request = new_request(admin, "withdrawal")
    done = services.complete_request(actor=admin, request_pk=data_request.pk,
                                     identity_verification="고객센터 전화, 생년월일 확인")
    assert not any(c.is_granted for c in Consent.objects.filter(customer=customer))
    withdrawals = ConsentEvent.objects.filter(customer=customer, action="withdraw")
    assert {e.channel for e in withdrawals} == {"email", "sms"}
    assert {e.source for e in withdrawals} == {f"privacy request #{data_request.pk}"}
    assert done.erased == {"consents": {"withdrawn": 2}}
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_suspension_is_recorded(admin):
    CustomerFactory(external_id="C-1")
    data_request = new_request(admin, "suspension", details="마케팅 분석 중지 요청")
    done = services.complete_request(actor=admin, request_pk=data_request.pk,
                                     identity_verification="본인 계정",
                                     result_note="처리정지 등록")
    assert (done.status, done.result_note) == ("done", "처리정지 등록")


def test_export_has_sections_of_every_app_and_marks_the_request_done(admin, survey):
    customer_with_data(survey)
    data_request = new_request(admin, "access")
    with pytest.raises(ValidationFailed):
        services.export_request(actor=admin, request_pk=data_request.pk)
    services.verify_identity(actor=admin, request_pk=data_request.pk, method="본인 계정")
    done, text = services.export_request(actor=admin, request_pk=data_request.pk)
    assert "김민수" in text  # not escaped
    document = json.loads(text)
    sections = document["sections"]
    assert set(sections) == {"profile", "consents", "orders", "survey_responses",
                             "survey_invitations", "loyalty_accounts", "loyalty_ledger",
                             "messages", "campaigns", "cases", "feedback_items", "scores"}
    assert sections["feedback_items"][0]["text"] == REVIEW
    assert sections["loyalty_accounts"][0]["balance"] == 300
    assert sections["profile"][0]["email"] == "minsu@example.com"
    assert sections["orders"][0]["external_id"] == "O-1"
    assert len(sections["orders"][0]["lines"]) == 1
    assert sections["survey_responses"][0]["answers"]["comment"] == COMMENT
    assert [e["points"] for e in sections["loyalty_ledger"]] == [500, -200]
    assert sections["messages"][0]["subject"] == "주문 확인"
    assert sections["cases"][0]["subject"] == "배송 지연"
    assert done.status == "done" and done.completed_at is not None
    assert AuditEntry.objects.filter(action="export", object_id=str(done.pk)).exists()


def test_only_an_access_request_is_exported(admin):
    CustomerFactory(external_id="C-1")
    data_request = new_request(admin, "deletion")
    services.verify_identity(actor=admin, request_pk=data_request.pk, method="본인 계정")
    with pytest.raises(ValidationFailed) as error:
        services.export_request(actor=admin, request_pk=data_request.pk)
    assert error.value.problems[0].field == "kind"


def test_deletion_takes_reversed_points_with_the_whole_ledger(admin, survey):
    customer, response = customer_with_data(survey)
    entry = Entry.objects.filter(kind="earn").get()
    reverse_entry(actor=SYSTEM, entry_id=entry.pk, idempotency_key="refund-1")
    data_request = new_request(admin, "deletion")
    done = services.complete_request(actor=admin, request_pk=data_request.pk,
                                      identity_verification="본인 계정")
    assert done.status == "done"
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Entry.objects.filter(pk=entry.pk).exists()
    response.refresh_from_db()
    assert response.customer_id is None and response.answers["comment"] != COMMENT
