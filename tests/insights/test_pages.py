"""Pages: the dashboard with its SVG charts and tiles, the alert rules list, creating and
editing a rule (field-level messages), a rule's page with "Test now", in English and Korean."""

import re

import pytest
from django.test import Client

from dangol.insights.models import AlertDelivery, AlertRule
from tests.insights.conftest import answer, client_for, days_ago

pytestmark = pytest.mark.django_db

FORM = {"name": "Low NPS", "active": "on", "metric": "nps", "condition": "threshold",
        "threshold": "0", "confidence": "0.95", "min_n": "10", "window_days": "7",
        "survey": "", "channel": "", "theme": "", "emails": "cx@example.com",
        "slack_url": "", "webhook_url": "", "language": "en"}


def korean(user):
    client = Client(headers={"Accept-Language": "ko"})
    client.force_login(user)
    return client


def test_dashboard_shows_tiles_charts_and_themes(survey, analyst,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for weeks in range(4):
            for score in [10] * 8 + [6] * 4:
                answer(survey, at=days_ago(2 + 7 * weeks), nps=score, csat=4, ces=5,
                       comment="배송이 너무 늦어요" if score == 6 else "")
    response = client_for(analyst).get("/insights/", {"period": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    tile = re.search(r'data-testid="tile-nps">(.*?)</div>\s*</div>', page, re.S)
    assert tile is not None
    assert 'data-testid="chart-nps"' in page and "<polyline" in page
    assert 'data-theme="delivery"' in page
    assert "Feedback by theme" in page and "Open cases" in page


def test_dashboard_in_korean_and_bad_dates_say_which_field(analyst):
    response = korean(analyst).get("/insights/", {"period": "custom", "since": "2026-05-01",
                                                  "until": "2026-04-01"})
    assert response.status_code == 200
    assert '<html lang="ko">' in response.content.decode()
    english = client_for(analyst).get("/insights/", {"period": "custom", "since": "2026-05-01",
                                                     "until": "2026-04-01"})
    assert "To: The last day is before the first." in english.content.decode()


def test_nav_entries_for_roles(analyst, agent, marketer):
    for user in (analyst, agent, marketer):
        page = client_for(user).get("/").content.decode()
        assert 'href="/insights/"' in page and 'href="/insights/alerts/"' in page
    assert client_for(agent).get("/insights/alerts/new/").status_code == 403
    assert client_for(marketer).get("/insights/alerts/new/").status_code == 403
    assert client_for(analyst).get("/insights/alerts/new/").status_code == 200


def test_create_edit_test_and_delete_a_rule_from_the_pages(analyst, survey, smtp_server,
                                                           django_capture_on_commit_callbacks):
    client = client_for(analyst)
    response = client.post("/insights/alerts/new/", FORM)
    rule = AlertRule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/insights/alerts/{rule.pk}/"
    assert rule.created_by == analyst and rule.emails == ["cx@example.com"]
    listing = client.get("/insights/alerts/").content.decode()
    assert "Low NPS" in listing
    edit = client.get(f"/insights/alerts/{rule.pk}/edit/").content.decode()
    assert 'value="cx@example.com"' in edit or "cx@example.com</textarea>" in edit
    client.post(f"/insights/alerts/{rule.pk}/edit/", {**FORM, "threshold": "-20"})
    rule.refresh_from_db()
    assert rule.threshold == -20
    for _ in range(3):
        answer(survey, at=days_ago(2), nps=1)
    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(f"/insights/alerts/{rule.pk}/test/", follow=True)
    assert "A test alert was sent" in tested.content.decode()
    page = client.get(f"/insights/alerts/{rule.pk}/").content.decode()
    assert 'data-delivery="email"' in page and "Sent" in page
    assert AlertDelivery.objects.get().status == "sent"
    assert smtp_server.messages[0]["Subject"].startswith("[Test] Alert: Low NPS")
    ko = korean(analyst).get(f"/insights/alerts/{rule.pk}/")
    assert ko.status_code == 200 and '<html lang="ko">' in ko.content.decode()
    client.post(f"/insights/alerts/{rule.pk}/delete/")
    assert not AlertRule.objects.exists()


def test_bad_rule_input_is_named_next_to_its_field_and_nothing_saved(analyst):
    response = client_for(analyst).post("/insights/alerts/new/", {
        **FORM, "emails": "cx@example.com, nope", "slack_url": "slack please",
        "webhook_url": "http://", "metric": "theme_negative_share", "theme": "unicorns",
        "threshold": "30"})
    assert response.status_code == 422
    page = response.content.decode()
    for field, words in [("emails", "“nope” is not an e-mail address."),
                         ("slack_url", "The URL must start with https:// or http://."),
                         ("webhook_url", "Enter a valid URL"),
                         ("theme", "Unknown theme “unicorns”.")]:
        found = re.search(rf'data-field="{field}"><li>(.*?)</li>', page)
        assert found is not None and words in found.group(1), field
    assert not AlertRule.objects.exists()
    ko = korean(analyst).post("/insights/alerts/new/", {**FORM, "emails": "nope"})
    assert ko.status_code == 422 and 'data-field="emails"' in ko.content.decode()


def test_home_shows_the_headline_tiles_and_links_to_the_dashboard(owner, survey):
    for score in [10] * 10:
        answer(survey, at=days_ago(1), nps=score)
    page = client_for(owner).get("/").content.decode()
    assert 'data-testid="tile-nps"' in page and "100.0" in page
    assert 'href="/insights/"' in page
