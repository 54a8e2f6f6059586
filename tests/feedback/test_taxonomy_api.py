"""The theme taxonomy over the REST API: read, change, errors, permissions, re-analysis."""

import json

import pytest
from django.test import Client

from dangol.accounts.actors import Actor
from dangol.accounts.models import AuditEntry
from dangol.accounts.services import create_api_key
from dangol.feedback import selectors
from dangol.feedback.models import ReanalysisJob, TaxonomyTheme, ThemeTaxonomy
from dangol.textkit import default_taxonomy

pytestmark = pytest.mark.django_db

SCENT = {"name": "scent", "label_ko": "향", "label_en": "Scent",
         "cues_ko": ["향기", "냄새"], "cues_en": ["scent", "smell"]}


def key_client(owner, scopes):
    token = create_api_key(actor=Actor(user=owner), name="themes", scopes=scopes).token
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def manager(owner):
    return key_client(owner, ["feedback.view_taxonomy", "feedback.manage_taxonomy"])


@pytest.fixture
def viewer(owner):
    return key_client(owner, ["feedback.view_taxonomy"])


def send(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body) if body is not None else None,
                                   content_type="application/json")


def test_the_default_themes_are_listed_before_any_change(viewer):
    body = viewer.get("/api/feedback/themes").json()
    assert body["version"] == 0 and body["customised"] is False
    assert [t["name"] for t in body["themes"]] == default_taxonomy().names
    delivery = body["themes"][0]
    assert delivery["label_ko"] == "배송" and "배송" in delivery["cues_ko"]
    assert delivery["answers"] == 0


def test_a_theme_is_added_changed_moved_and_deleted(manager):
    created = send(manager, "post", "/api/feedback/themes", SCENT)
    assert created.status_code == 201, created.content
    assert created.json()["cues_en"] == ["scent", "smell"]
    assert selectors.business_taxonomy().names[-1] == "scent"

    changed = send(manager, "put", "/api/feedback/themes/scent",
                   {**{k: v for k, v in SCENT.items() if k != "name"},
                    "cues_ko": ["향기", "냄새", "향수"], "enabled": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["enabled"] is False
    assert TaxonomyTheme.objects.get(name="scent").cues_ko == ["향기", "냄새", "향수"]
    assert "scent" not in selectors.business_taxonomy().names

    moved = send(manager, "post", "/api/feedback/themes/scent/move", {"offset": -1})
    assert [t["name"] for t in moved.json()["themes"]][-2] == "scent"

    assert send(manager, "delete", "/api/feedback/themes/scent").status_code == 204
    assert not TaxonomyTheme.objects.filter(name="scent").exists()
    assert AuditEntry.objects.filter(object_type="feedback.theme", object_id="scent").count() >= 3


def test_a_bad_theme_names_the_field_and_changes_nothing(manager):
    response = send(manager, "post", "/api/feedback/themes", {**SCENT, "name": "향 기"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == ["name"]
    assert not ThemeTaxonomy.objects.exists() and not TaxonomyTheme.objects.exists()


def test_an_unknown_theme_is_404(manager):
    response = send(manager, "delete", "/api/feedback/themes/nope")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_document_round_trips_and_a_bad_one_is_refused_whole(manager):
    document = manager.get("/api/feedback/themes/document").json()
    document["themes"] = document["themes"][:3]
    replaced = send(manager, "put", "/api/feedback/themes/document", document)
    assert replaced.status_code == 200, replaced.content
    assert len(replaced.json()["themes"]) == 3

    document["themes"][1]["cues"]["ko"] = ["x" * 500]
    refused = send(manager, "put", "/api/feedback/themes/document", document)
    assert refused.status_code == 422
    assert "themes[1]" in refused.json()["errors"][0]["message"]
    assert TaxonomyTheme.objects.count() == 3


def test_reset_brings_back_the_default(manager):
    send(manager, "post", "/api/feedback/themes", SCENT)
    body = send(manager, "post", "/api/feedback/themes/reset").json()
    assert [t["name"] for t in body["themes"]] == default_taxonomy().names


def test_trying_a_sentence_stores_nothing(viewer):
    response = send(viewer, "post", "/api/feedback/themes/try",
                    {"text": "배송이 너무 늦어요. 연락처 010-1234-5678", "language": "en"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lang"] == "ko"
    assert [(t["name"], t["label"], t["sentiment"]) for t in body["themes"]] == [
        ("delivery", "Delivery", "negative")]
    assert "1234-5678" not in body["masked"]
    assert not ThemeTaxonomy.objects.exists()
    empty = send(viewer, "post", "/api/feedback/themes/try", {"text": "  "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"


def test_a_viewer_key_cannot_change_the_themes(viewer):
    response = send(viewer, "post", "/api/feedback/themes", SCENT)
    assert response.status_code == 403
    assert send(viewer, "post", "/api/feedback/reanalysis").status_code == 403
    assert not TaxonomyTheme.objects.exists() and not ReanalysisJob.objects.exists()


def test_a_reanalysis_is_started_and_followed(manager):
    started = send(manager, "post", "/api/feedback/reanalysis")
    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "queued"
    again = send(manager, "post", "/api/feedback/reanalysis")
    assert again.status_code == 409 and again.json()["code"] == "already_running"
    assert manager.get(f"/api/feedback/reanalysis/{job['id']}").json()["id"] == job["id"]
    assert manager.get("/api/feedback/reanalysis/999999").status_code == 404
