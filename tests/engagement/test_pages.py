"""The staff page listing messages, and its permission."""

import pytest
from django.test import Client

from dangol.accounts.permissions import Role
from dangol.engagement.services import queue_message
from tests.conftest import make_staff
from tests.factories import CustomerFactory


@pytest.fixture
def messages(customer):
    nobody = CustomerFactory(email="", phone="")
    return {
        "survey": queue_message(customer=customer, channel="email", purpose="transactional",
                                subject="설문 초대", body="b", source="survey_invitation"),
        "expiry": queue_message(customer=customer, channel="sms", purpose="transactional",
                                body="포인트 소멸 예정 안내", source="points_expiry"),
        "blocked": queue_message(customer=nobody, channel="sms", purpose="ad",
                                 body="할인 쿠폰", source="campaign"),
    }


def test_staff_see_messages_filtered_by_channel_status_and_source(owner_client, messages):
    page = owner_client.get("/engagement/messages/").content.decode()
    assert "설문 초대" in page and "포인트 소멸 예정 안내" in page and "할인 쿠폰" in page

    page = owner_client.get("/engagement/messages/?channel=sms").content.decode()
    assert "설문 초대" not in page and "포인트 소멸 예정 안내" in page

    page = owner_client.get("/engagement/messages/?status=blocked").content.decode()
    assert "할인 쿠폰" in page and "포인트 소멸 예정 안내" not in page

    page = owner_client.get("/engagement/messages/?source=survey_invitation").content.decode()
    assert "설문 초대" in page and "할인 쿠폰" not in page


def test_a_message_page_shows_its_history(owner_client, messages):
    blocked = messages["blocked"]
    response = owner_client.get(f"/engagement/messages/{blocked.pk}/")
    assert response.status_code == 200
    assert "할인 쿠폰" in response.content.decode()
    assert owner_client.get("/engagement/messages/999999/").status_code == 404


def test_roles_without_engagement_view_are_refused(db, messages):
    client = Client()
    client.force_login(make_staff(Role.ANALYST))
    assert client.get("/engagement/messages/").status_code == 403
    marketer = Client()
    marketer.force_login(make_staff(Role.MARKETER))
    response = marketer.get("/engagement/messages/")
    assert response.status_code == 200
    assert 'href="/engagement/messages/"' in response.content.decode()  # the nav item


def test_the_page_needs_a_login(db):
    response = Client().get("/engagement/messages/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_owners_can_read_messages_in_the_django_admin(owner_client, messages):
    assert owner_client.get("/admin/engagement/message/?status__exact=blocked").status_code == 200
    page = owner_client.get(f"/admin/engagement/message/{messages['blocked'].pk}/change/")
    assert page.status_code == 200
    assert "할인 쿠폰" in page.content.decode()


def test_the_admin_cannot_add_or_change_messages(owner_client, messages):
    assert owner_client.get("/admin/engagement/message/add/").status_code == 403
    pk = messages["blocked"].pk
    owner_client.post(f"/admin/engagement/message/{pk}/change/", {"status": "sent"})
    messages["blocked"].refresh_from_db()
    assert messages["blocked"].status == "blocked"
