"""The law's checks on every message (COMPLIANCE.md R1–R6, R20, R21)."""

import pytest

from dangol.core.errors import ValidationFailed
from dangol.customers.models import Consent
from dangol.engagement.compliance import next_daytime
from dangol.engagement.models import Message, Status
from dangol.engagement.selectors import can_contact
from dangol.engagement.services import queue_message
from tests.engagement.conftest import grant, seoul
from tests.factories import CustomerFactory


def sms_ad(customer, body="신상품 20% 할인 쿠폰을 드립니다.", **kwargs):
    return queue_message(customer=customer, channel="sms", purpose="ad", body=body,
                         source="campaign", **kwargs)


# --- consent (R2, R3) ---------------------------------------------------------------------


def test_transactional_messages_need_no_ad_consent(customer):
    assert can_contact(customer=customer, channel="sms", purpose="transactional") is None
    assert can_contact(customer=customer, channel="email", purpose="transactional") is None


def test_an_ad_without_an_opt_in_is_stored_blocked(customer, ad_sender, run_on_commit):
    with run_on_commit() as callbacks:
        message = sms_ad(customer)
    assert message.status == Status.BLOCKED
    assert message.block_reason == "no_consent"
    assert callbacks == []  # nothing queued for delivery
    assert can_contact(customer=customer, channel="sms", purpose="ad") == "no_consent"
    assert [e.status for e in message.events.all()] == ["blocked"]


def test_consent_for_one_channel_does_not_cover_another(customer, ad_sender):
    grant(customer, "email")
    assert can_contact(customer=customer, channel="email", purpose="ad") is None
    assert can_contact(customer=customer, channel="sms", purpose="ad") == "no_consent"
    assert can_contact(customer=customer, channel="kakao", purpose="ad") == "no_consent"


def test_an_explicit_refusal_is_no_consent(customer):
    Consent.objects.create(customer=customer, channel="sms", purpose="ad",
                           withdrawn_at=seoul(9))
    assert can_contact(customer=customer, channel="sms", purpose="ad",
                       at=seoul(12)) == "no_consent"


def test_a_withdrawn_consent_blocks_ads(customer, ad_sender):
    consent = grant(customer, "sms", at=seoul(9))
    consent.withdrawn_at = seoul(10)
    consent.save()
    message = sms_ad(customer)
    assert (message.status, message.block_reason) == ("blocked", "consent_withdrawn")


def test_a_missing_address_is_a_reason_not_a_silent_drop(db):
    customer = CustomerFactory(email="", phone="")
    message = queue_message(customer=customer, channel="email", purpose="transactional",
                            subject="s", body="b")
    assert (message.status, message.block_reason) == ("blocked", "no_address")
    assert Message.objects.filter(pk=message.pk).exists()


# --- night time (R4, R20) -------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute", "allowed"), [
    (8, 0, True), (12, 0, True), (20, 59, True),
    (21, 0, False), (23, 30, False), (0, 0, False), (7, 59, False),
])
def test_sms_ads_are_refused_from_21_to_8_seoul_time(customer, hour, minute, allowed):
    grant(customer, "sms", at=seoul(0))
    reason = can_contact(customer=customer, channel="sms", purpose="ad", at=seoul(hour, minute))
    assert reason == (None if allowed else "night_time")


@pytest.mark.parametrize(("hour", "minute", "allowed"), [(20, 49, True), (20, 50, False)])
def test_kakao_ads_stop_at_20_50_as_the_providers_do(customer, hour, minute, allowed):
    grant(customer, "kakao", at=seoul(0))
    reason = can_contact(customer=customer, channel="kakao", purpose="ad",
                         at=seoul(hour, minute))
    assert reason == (None if allowed else "night_time")


def test_night_consent_allows_sms_ads_at_night(customer):
    grant(customer, "kakao", night=True, at=seoul(0))
    assert can_contact(customer=customer, channel="kakao", purpose="ad", at=seoul(23)) is None


def test_email_ads_are_exempt_from_night_hours(customer):
    grant(customer, "email", at=seoul(0))
    assert can_contact(customer=customer, channel="email", purpose="ad", at=seoul(23)) is None


def test_transactional_sms_may_go_at_night(customer):
    assert can_contact(customer=customer, channel="sms", purpose="transactional",
                       at=seoul(23)) is None


def test_quiet_hours_hold_in_the_recipients_own_time_zone(db):
    customer = CustomerFactory(phone="+12125551234")  # New York
    grant(customer, "sms", at=seoul(0))
    # 12:00 in Seoul is 22:00 the evening before in New York.
    assert can_contact(customer=customer, channel="sms", purpose="ad",
                       at=seoul(12)) == "night_time"
    # 20:00 in Seoul is 06:00 in New York: still too early there.
    assert can_contact(customer=customer, channel="sms", purpose="ad",
                       at=seoul(20)) == "night_time"
    # 08:30 in Seoul is 18:30 in New York: daytime in both.
    assert can_contact(customer=customer, channel="sms", purpose="ad", at=seoul(8, 30)) is None


def test_queue_message_at_night_stores_the_ad_blocked(customer, ad_sender, time_machine):
    grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(22), tick=False)
    message = sms_ad(customer)
    assert (message.status, message.block_reason) == ("blocked", "night_time")
    time_machine.move_to(seoul(10), tick=False)
    assert sms_ad(customer).status == Status.QUEUED


# --- SMS/Kakao ad text (R5) -------------------------------------------------------------------


def test_an_sms_ad_gets_the_label_sender_and_free_opt_out(customer, ad_sender, time_machine):
    grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(10), tick=False)
    message = sms_ad(customer, body="신상품 20% 할인 쿠폰을 드립니다.")
    assert message.status == Status.QUEUED
    assert message.body == "(광고)단골상회\n신상품 20% 할인 쿠폰을 드립니다.\n무료거부 080-123-4567"


def test_a_correctly_labelled_ad_is_not_labelled_twice(customer, ad_sender, time_machine):
    grant(customer, "kakao", at=seoul(0))
    time_machine.move_to(seoul(10), tick=False)
    body = "(광고)단골상회\n주말 특가 안내\n무료거부 080-123-4567"
    message = queue_message(customer=customer, channel="kakao", purpose="ad", body=body)
    assert message.body == body


@pytest.mark.parametrize("body", [
    "[광고]단골상회 주말 특가", "(광 고)단골상회 주말 특가", "<광고> 주말 특가",
    "（광고）단골상회 특가", "(광고)다른가게 주말 특가",
])
def test_look_alike_ad_labels_are_refused(customer, ad_sender, time_machine, body):
    grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(10), tick=False)
    message = sms_ad(customer, body=body)
    assert (message.status, message.block_reason) == ("blocked", "ad_label_malformed")


def test_an_ad_cannot_go_without_a_sender_name_and_080_number(customer, settings, time_machine):
    settings.DANGOL_SENDER_NAME = "단골상회"
    settings.DANGOL_OPTOUT_NUMBER = ""
    grant(customer, "sms", at=seoul(0))
    time_machine.move_to(seoul(10), tick=False)
    message = sms_ad(customer)
    assert (message.status, message.block_reason) == ("blocked", "sender_not_configured")


# --- e-mail ads (R5b, R21) ---------------------------------------------------------------------


def test_an_email_ad_gets_label_footer_and_unsubscribe_headers(customer, ad_sender):
    grant(customer, "email")
    message = queue_message(customer=customer, channel="email", purpose="ad",
                            subject="겨울 세일", body="최대 50% 할인",
                            html_body="<html><body><p>최대 50% 할인</p></body></html>")
    assert message.status == Status.QUEUED
    assert message.subject == "(광고) 겨울 세일"
    for part in ("단골상회", "shop@dangol.test", "02-1234-5678", "서울특별시 중구 세종대로 110"):
        assert part in message.body and part in message.html_body
    url = message.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://shop.dangol.test/engagement/unsubscribe/")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.body.count(url) == 2  # the Korean and the English line
    assert message.html_body.endswith("</body></html>")


def test_an_email_ad_with_a_look_alike_label_is_refused(customer, ad_sender):
    grant(customer, "email")
    message = queue_message(customer=customer, channel="email", purpose="ad",
                            subject="[광고] 겨울 세일", body="b")
    assert (message.status, message.block_reason) == ("blocked", "ad_label_malformed")


def test_an_email_ad_needs_the_senders_postal_address(customer, ad_sender, settings):
    settings.DANGOL_SENDER_ADDRESS = ""
    grant(customer, "email")
    message = queue_message(customer=customer, channel="email", purpose="ad",
                            subject="겨울 세일", body="b")
    assert (message.status, message.block_reason) == ("blocked", "sender_not_configured")


# --- input ------------------------------------------------------------------------------------


def test_bad_input_names_the_field_and_stores_nothing(customer):
    with pytest.raises(ValidationFailed) as raised:
        queue_message(customer=customer, channel="fax", purpose="promo", body=" ")
    assert {p.field for p in raised.value.problems} == {"channel", "purpose", "body"}
    with pytest.raises(ValidationFailed) as raised:
        queue_message(customer=customer, channel="email", purpose="transactional", body="b")
    assert [p.field for p in raised.value.problems] == ["subject"]
    assert not Message.objects.exists()


def test_the_next_daytime_suits_seoul_and_the_recipient():
    assert next_daytime(seoul(23), "+821012345678") == seoul(8).replace(day=24)
    assert next_daytime(seoul(3), "+821012345678") == seoul(8)
    assert next_daytime(seoul(12), "+821012345678") == seoul(12)
    # New York: 12:00 Seoul is 22:00 there; the first shared daytime is 08:00 Seoul
    # next day = 18:00 in New York.
    assert next_daytime(seoul(12), "+12125551234") == seoul(8).replace(day=24)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"subject": "제목\nBcc: all@example.com"}, "subject"),
    ({"headers": {"Bcc": "all@example.com"}}, "headers.Bcc"),
    ({"headers": {"X-Survey": "1\r\nBcc: all@example.com"}}, "headers.X-Survey"),
    ({"language": "korean"}, "language"),
])
def test_header_injection_and_odd_languages_are_refused(customer, kwargs, field):
    values = {"subject": "제목", "body": "b", **kwargs}
    with pytest.raises(ValidationFailed) as raised:
        queue_message(customer=customer, channel="email", purpose="transactional", **values)
    assert [p.field for p in raised.value.problems] == [field]
    assert not Message.objects.exists()


def test_an_empty_language_means_the_customers_own(customer):
    message = queue_message(customer=customer, channel="sms", purpose="transactional",
                            body="b", language="")
    assert message.language == "ko"
