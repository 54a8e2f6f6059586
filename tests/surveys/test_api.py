"""The surveys REST API: build, publish, answer, count, invite."""

import pytest

from dangol.accounts.actors import Actor
from dangol.accounts.services import create_api_key
from dangol.surveys.models import Response
from tests.factories import CustomerFactory
from tests.surveys.conftest import NPS_WITH_BRANCH


@pytest.fixture
def survey_api(owner):
    from django.test import Client

    issued = create_api_key(actor=Actor(user=owner), name="surveys",
                            scopes=["surveys.view", "surveys.manage", "surveys.respond",
                                    "surveys.send"])
    return Client(headers={"Authorization": f"Bearer {issued.token}"})


def _create(client, **extra):
    body = {"name": "NPS", "title": {"ko": "조사", "en": "Survey"},
            "definition": NPS_WITH_BRANCH, **extra}
    return client.post("/api/surveys", body, content_type="application/json")


def test_create_and_publish_a_bilingual_survey(survey_api) -> None:
    created = _create(survey_api)
    assert created.status_code == 201, created.content
    survey_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    published = survey_api.post(f"/api/surveys/{survey_id}/publish")
    assert published.status_code == 200
    assert published.json()["version"] == 1
    assert published.json()["definition"]["questions"][0]["key"] == "nps"


def test_a_missing_translation_blocks_publishing_and_names_the_place(survey_api) -> None:
    definition = {"questions": [{"key": "nps", "type": "nps", "text": {"ko": "추천?"}}]}
    survey_id = _create(survey_api, definition=definition).json()["id"]
    refused = survey_api.post(f"/api/surveys/{survey_id}/publish")
    assert refused.status_code == 422
    assert any("nps.text: en" in e["message"] for e in refused.json()["errors"])


def test_a_bad_definition_is_refused_with_the_field(survey_api) -> None:
    definition = {"questions": [{"key": "Bad Key", "type": "nps", "text": {"ko": "x"}}]}
    refused = _create(survey_api, definition=definition)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("definition.questions.0")


def test_a_branch_to_a_later_question_is_refused(survey_api) -> None:
    definition = {"questions": [
        {"key": "a", "type": "text", "text": {"ko": "a"},
         "show_if": [{"question": "b", "op": "answered"}]},
        {"key": "b", "type": "text", "text": {"ko": "b"}}]}
    assert _create(survey_api, definition=definition).status_code == 422


def test_api_responses_are_validated_and_idempotent(survey_api) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    customer = CustomerFactory()
    url = f"/api/surveys/{survey_id}/responses"
    bad = survey_api.post(url, {"answers": {"nps": 12, "nope": 1}},
                          content_type="application/json")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"nps", "nope", "best"}
    assert Response.objects.count() == 0

    body = {"answers": {"nps": 4, "why_low": "느려요", "best": "price"},
            "customer_id": customer.external_id, "external_id": "ext-1", "language": "ko"}
    first = survey_api.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["answers"]["best"] == {"choice": "price"}
    again = survey_api.post(url, body, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    different = survey_api.post(url, {**body, "answers": {"nps": 10, "best": "price"}},
                                content_type="application/json")
    assert different.status_code == 409
    assert different.json()["code"] == "duplicate_external_id"
    assert Response.objects.count() == 1


def test_hidden_answers_are_dropped(survey_api) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    made = survey_api.post(f"/api/surveys/{survey_id}/responses",
                           {"answers": {"nps": 10, "why_low": "무시됨", "best": "quality"}},
                           content_type="application/json")
    assert made.json()["answers"] == {"nps": 10, "best": {"choice": "quality"}}


def test_results_give_nps_with_its_interval(survey_api) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    for score in [10, 9, 9, 8, 3, 0]:
        survey_api.post(f"/api/surveys/{survey_id}/responses",
                        {"answers": {"nps": score, "best": "price"}},
                        content_type="application/json")
    results = survey_api.get(f"/api/surveys/{survey_id}/results").json()
    nps = results["questions"][0]["nps"]
    assert results["completed"] == 6
    assert (nps["promoters"], nps["passives"], nps["detractors"]) == (3, 1, 2)
    assert nps["score"] == pytest.approx(100 * (3 - 2) / 6)
    assert nps["interval"]["low"] < nps["score"] < nps["interval"]["high"]
    assert results["by_version"] == {"v1": 6}


def test_editing_a_live_survey_keeps_earlier_answers_and_their_version(survey_api) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    url = f"/api/surveys/{survey_id}/responses"
    survey_api.post(url, {"answers": {"nps": 7, "best": "price"}},
                    content_type="application/json")
    edited = {"questions": [NPS_WITH_BRANCH["questions"][0],
                            {"key": "csat", "type": "csat",
                             "text": {"ko": "만족하셨나요?", "en": "Satisfied?"}}]}
    assert survey_api.put(f"/api/surveys/{survey_id}/draft", {"definition": edited},
                          content_type="application/json").status_code == 200
    assert survey_api.post(f"/api/surveys/{survey_id}/publish").json()["version"] == 2
    survey_api.post(url, {"answers": {"nps": 9, "csat": 5}}, content_type="application/json")
    listed = survey_api.get(url).json()["items"]
    assert [(r["version"], r["answers"]["nps"]) for r in listed] == [(2, 9), (1, 7)]
    results = survey_api.get(f"/api/surveys/{survey_id}/results").json()
    assert results["questions"][0]["nps"]["n"] == 2
    assert results["by_version"] == {"v1": 1, "v2": 1}


def test_a_closed_survey_refuses_responses(survey_api) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    survey_api.post(f"/api/surveys/{survey_id}/close")
    refused = survey_api.post(f"/api/surveys/{survey_id}/responses",
                              {"answers": {"nps": 9, "best": "price"}},
                              content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "survey_closed"


def test_the_quota_stops_responses(survey_api) -> None:
    survey_id = _create(survey_api, publish=True, quota=1).json()["id"]
    url = f"/api/surveys/{survey_id}/responses"
    ok = survey_api.post(url, {"answers": {"nps": 9, "best": "price"}},
                         content_type="application/json")
    assert ok.status_code == 201
    full = survey_api.post(url, {"answers": {"nps": 9, "best": "price"}},
                           content_type="application/json")
    assert full.status_code == 409
    assert Response.objects.count() == 1


def test_without_the_scope_the_api_refuses(owner) -> None:
    from django.test import Client

    issued = create_api_key(actor=Actor(user=owner), name="view", scopes=["surveys.view"])
    client = Client(headers={"Authorization": f"Bearer {issued.token}"})
    assert _create(client).status_code == 403


def test_import_a_limesurvey_file_through_the_api_and_the_page(survey_api, owner_client) -> None:
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangol.surveys.models import Survey

    data = Path(__file__).parent / "data"
    sample = data / "cafe_visit.lss"
    made = survey_api.post("/api/surveys/import",
                           {"file": SimpleUploadedFile(sample.name, sample.read_bytes())})
    assert made.status_code == 201, made.content
    assert made.json()["survey"]["draft"]["questions"]
    page = owner_client.post("/surveys/import/", {
        "file": SimpleUploadedFile("junk.lss", b"<not-limesurvey/>")})
    assert page.status_code == 200
    assert Survey.objects.count() == 1


def test_invitation_status_and_sending_time_come_from_the_outbox(
        survey_api, smtp_server, django_capture_on_commit_callbacks) -> None:
    survey_id = _create(survey_api, publish=True).json()["id"]
    customer = CustomerFactory(email="o@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sent = survey_api.post(f"/api/surveys/{survey_id}/invitations",
                               {"channel": "email", "customer_ids": [customer.external_id]},
                               content_type="application/json")
    assert sent.json() == {"invited": 1, "skipped": {}}
    [item] = survey_api.get(f"/api/surveys/{survey_id}/invitations").json()["items"]
    assert item["status"] == "sent"
    assert item["sent_at"] is not None
