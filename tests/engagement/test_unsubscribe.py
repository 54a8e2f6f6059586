"""The no-login unsubscribe link: a confirm page and a one-click POST (RFC 8058)."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from dangol.accounts.models import AuditEntry
from dangol.customers.models import ConsentEvent
from dangol.engagement.models import Message, Status
from dangol.engagement.services import queue_message
from dangol.engagement.tokens import unsubscribe_token
from tests.engagement.conftest import grant


def link(customer, channel="email"):
    return f"/engagement/unsubscribe/{unsubscribe_token(customer_id=customer.pk, channel=channel)}/"


def test_the_page_asks_before_unsubscribing(customer):
    grant(customer, "email")
    response = Client().get(link(customer) + "?lang=en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop receiving advertising by E-mail?" in page
    assert '<form method="post">' in page
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert customer.consents.get(channel="email").is_granted  # a GET changes nothing


def test_the_page_speaks_the_customers_language(customer):
    response = Client().get(link(customer))
    assert '<html lang="ko">' in response.content.decode()
    assert 'href="?lang=en"' in response.content.decode()


def test_one_click_post_withdraws_consent_without_cookies_csrf_or_redirect(customer, ad_sender):
    grant(customer, "email")
    grant(customer, "sms")
    client = Client(enforce_csrf_checks=True)
    response = client.post(link(customer), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode() or \
        "수신" in response.content.decode()
    consents = {c.channel: c for c in customer.consents.all()}
    assert not consents["email"].is_granted
    assert consents["sms"].is_granted  # only the channel the link was for
    event = ConsentEvent.objects.get(customer=customer, action="withdraw")
    assert (event.channel, event.purpose, event.source) == ("email", "ad", "unsubscribe:email")
    assert AuditEntry.objects.filter(object_id=str(customer.pk),
                                     actor_label="unsubscribe:email").exists()
    # The law asks for a notice of the result: sender, action and date, result.
    [notice] = Message.objects.filter(source="consent_notice")
    assert (notice.channel, notice.purpose, notice.status) == ("email", "transactional",
                                                               "queued")
    assert "단골상회" in notice.subject
    assert timezone.localdate().isoformat() in notice.body


def test_unsubscribing_twice_is_harmless(customer):
    grant(customer, "email")
    for _ in range(2):
        assert Client().post(link(customer)).status_code == 200
    assert ConsentEvent.objects.filter(customer=customer, action="withdraw").count() == 1
    assert Message.objects.filter(source="consent_notice").count() == 1


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),   # signature changed
    lambda t: "x" + t,                                   # payload changed
    lambda t: "not-a-token",
])
def test_a_forged_or_altered_link_is_404(customer, mangle):
    grant(customer, "email")
    token = unsubscribe_token(customer_id=customer.pk, channel="email")
    url = f"/engagement/unsubscribe/{mangle(token)}/"
    assert Client().get(url).status_code == 404
    assert Client().post(url).status_code == 404
    assert customer.consents.get(channel="email").is_granted


def test_the_link_in_an_ad_email_stops_the_next_ad(customer, ad_sender, smtp_server,
                                                   run_on_commit):
    grant(customer, "email")
    with run_on_commit():
        queue_message(customer=customer, channel="email", purpose="ad", subject="겨울 세일",
                      body="최대 50% 할인", html_body="<p>최대 50% 할인</p>")
    [mail] = smtp_server.messages
    assert mail["Subject"] == "(광고) 겨울 세일"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(mail["List-Unsubscribe"]).strip().strip("<>")
    assert url in mail.text() and "단골상회" in mail.text() and "02-1234-5678" in mail.html()

    # What a mail program does for one-click unsubscribe: POST, no cookies.
    response = Client().post(urlsplit(url).path, "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200

    with run_on_commit():
        again = queue_message(customer=customer, channel="email", purpose="ad",
                              subject="또 다른 세일", body="b")
    assert (again.status, again.block_reason) == (Status.BLOCKED, "consent_withdrawn")
    assert len(smtp_server.messages) == 1


def test_ads_waiting_in_the_outbox_are_blocked_by_an_unsubscribe(customer, ad_sender):
    grant(customer, "email")
    waiting = queue_message(customer=customer, channel="email", purpose="ad", subject="세일",
                            body="b")  # not yet committed: still queued
    receipt = queue_message(customer=customer, channel="email", purpose="transactional",
                            subject="영수증", body="b")
    Client().post(link(customer))
    waiting.refresh_from_db()
    receipt.refresh_from_db()
    assert (waiting.status, waiting.block_reason) == (Status.BLOCKED, "consent_withdrawn")
    assert receipt.status == Status.QUEUED
