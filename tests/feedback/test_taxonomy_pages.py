"""The theme taxonomy pages through the Django test client, and its labels on results pages."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from dangol import textkit
from dangol.accounts.models import AuditEntry
from dangol.feedback import services
from dangol.feedback.models import ReanalysisJob, TaxonomyTheme, ThemeMention, ThemeTaxonomy
from dangol.surveys.services.responses import submit_response
from tests.feedback.conftest import SCENT

pytestmark = pytest.mark.django_db

URL = "/feedback/themes/"


def _answer(survey, text):
    response, _ = submit_response(survey=survey, language="ko",
                                  answers={"nps": 8, "comment": text})
    services.analyse_survey_response(response_pk=response.pk)
    return response


def _row(html, name):
    match = re.search(rf'<tr data-theme="{name}".*?</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def _cell(row, testid):
    return re.search(rf'data-testid="{testid}">([^<]*)<', row).group(1)


def test_the_page_lists_themes_with_cue_counts_and_answers(client_for, comment_survey):
    _answer(comment_survey, "배송이 너무 늦어요")
    _answer(comment_survey, "배송은 빨랐고 가격도 좋아요")
    html = client_for("analyst").get(URL).content.decode()
    delivery = _row(html, "delivery")
    assert "배송" in delivery
    assert _cell(delivery, "cues-ko") == "16" and _cell(delivery, "cues-en") == "16"
    assert _cell(delivery, "answers") == "2" and _cell(_row(html, "price"), "answers") == "1"
    assert _cell(_row(html, "colour"), "answers") == "0"


def test_an_analyst_sees_the_themes_but_cannot_change_them(client_for):
    analyst = client_for("analyst")
    html = analyst.get(URL).content.decode()
    assert "/feedback/themes/new/" not in html and "/edit/" not in html
    assert analyst.get("/feedback/themes/new/").status_code == 403
    assert analyst.post("/feedback/themes/new/", SCENT).status_code == 403
    assert analyst.post("/feedback/themes/delivery/edit/", SCENT).status_code == 403
    assert analyst.post("/feedback/themes/delivery/delete/").status_code == 403
    assert analyst.post("/feedback/themes/delivery/enable/", {"enabled": "0"}).status_code == 403
    assert analyst.post("/feedback/themes/reset/").status_code == 403
    assert analyst.post("/feedback/themes/reanalyse/").status_code == 403
    assert not ThemeTaxonomy.objects.exists() and not ReanalysisJob.objects.exists()
    # Trying a sentence changes nothing, so viewers may.
    assert analyst.post("/feedback/themes/try/", {"text": "배송이 늦어요"}).status_code == 200


def test_an_agent_does_not_see_the_taxonomy(client_for):
    agent = client_for("agent")
    assert agent.get(URL).status_code == 403
    assert 'href="/feedback/themes/"' not in agent.get("/").content.decode()


def test_the_nav_and_settings_link_to_the_themes(client_for, owner_client):
    assert 'href="/feedback/themes/"' in client_for("analyst").get("/").content.decode()
    settings_page = owner_client.get("/accounts/api-keys/").content.decode()
    assert settings_page.count('href="/feedback/themes/"') == 2  # main nav and settings nav


def test_an_admin_adds_a_theme_through_the_page(client_for, comment_survey):
    admin = client_for("admin")
    assert admin.get("/feedback/themes/new/").status_code == 200
    response = admin.post("/feedback/themes/new/", SCENT | {"action": "save"})
    assert response.status_code == 302 and response["Location"] == URL
    scent = TaxonomyTheme.objects.get(name="scent")
    assert (scent.label_ko, scent.cues_ko, scent.cues_en) == (
        "향", ["향기", "향", "냄새"], ["scent", "smell", "fragrance"])
    assert AuditEntry.objects.filter(action="create", object_id="scent").exists()
    assert _answer(comment_survey, "냄새가 너무 심해요").pk
    assert ThemeMention.objects.filter(theme="scent", sentiment="negative").count() == 1
    html = admin.get(URL).content.decode()
    assert _cell(_row(html, "scent"), "cues-ko") == "3"


def test_a_bad_form_names_the_field_and_saves_nothing(owner_client):
    response = owner_client.post("/feedback/themes/new/",
                                 SCENT | {"name": "향기", "cues_ko": "", "cues_en": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-name"' in html and 'data-testid="error-cues_ko"' in html
    assert 'value="향"' in html  # what was typed is kept
    edit = owner_client.post("/feedback/themes/delivery/edit/",
                             {"label_ko": "배송", "label_en": "Delivery",
                              "cues_ko": "배송, " + "가" * 50, "cues_en": "delivery"})
    assert edit.status_code == 422 and 'data-testid="error-cues_ko"' in edit.content.decode()
    assert not ThemeTaxonomy.objects.exists() and not AuditEntry.objects.exists()


def test_editing_renames_the_label_shown_on_survey_results(owner_client, comment_survey):
    _answer(comment_survey, "배송이 너무 늦어요")
    form = owner_client.get("/feedback/themes/delivery/edit/").content.decode()
    assert 'name="name"' not in form  # the key cannot change
    cues_ko = re.search(r'<textarea name="cues_ko"[^>]*>\s*(.*?)</textarea>', form, re.S).group(1)
    assert cues_ko.startswith("배송, 택배")
    response = owner_client.post("/feedback/themes/delivery/edit/", {
        "label_ko": "배송·배달", "label_en": "Shipping", "cues_ko": cues_ko,
        "cues_en": "delivery, shipping"})
    assert response.status_code == 302
    results = owner_client.get(f"/surveys/{comment_survey.pk}/results/").content.decode()
    assert "배송·배달" in results and 'data-testid="taxonomy-link"' in results
    with translation.override("en"):
        owner_client.cookies["django_language"] = "en"
        answers = owner_client.get(f"/surveys/{comment_survey.pk}/responses/",
                                   headers={"Accept-Language": "en"}).content.decode()
    assert "Shipping" in answers
    entry = AuditEntry.objects.get(action="update")
    assert entry.fields == ["cues_en", "label_en", "label_ko"]


def test_a_deleted_theme_still_shows_on_old_answers(owner_client, comment_survey):
    _answer(comment_survey, "배송이 너무 늦어요")
    owner_client.cookies["django_language"] = "en"
    confirm = owner_client.get("/feedback/themes/delivery/delete/").content.decode()
    assert "1 answer mentions it" in confirm
    owner_client.cookies["django_language"] = "ko"
    assert owner_client.post("/feedback/themes/delivery/delete/").status_code == 302
    assert not TaxonomyTheme.objects.filter(name="delivery").exists()
    page = owner_client.get(URL).content.decode()
    retired = re.search(r'data-testid="retired".*?</table>', page, re.S).group(0)
    assert "delivery" in retired and "배송" in retired
    results = owner_client.get(f"/surveys/{comment_survey.pk}/results/").content.decode()
    chart = re.search(r'data-testid="theme-chart".*?</ul>', results, re.S).group(0)
    assert "배송" in chart and "?theme=delivery" in chart


def test_switch_off_reorder_and_reset_from_the_page(owner_client):
    owner_client.post("/feedback/themes/app/enable/", {"enabled": "0"})
    assert not TaxonomyTheme.objects.get(name="app").enabled
    assert 'class="tx-off"' in _row(owner_client.get(URL).content.decode(), "app")
    owner_client.post("/feedback/themes/price/move/", {"direction": "up"})
    names = list(TaxonomyTheme.objects.order_by("position").values_list("name", flat=True))
    assert names[:2] == ["price", "delivery"]
    owner_client.post("/feedback/themes/new/", SCENT)
    assert owner_client.get("/feedback/themes/reset/").status_code == 200
    owner_client.post("/feedback/themes/reset/")
    names = list(TaxonomyTheme.objects.order_by("position").values_list("name", flat=True))
    assert names[:2] == ["delivery", "price"] and "scent" not in names
    assert TaxonomyTheme.objects.get(name="app").enabled


def test_try_box_shows_themes_of_saved_and_unsaved_values(owner_client):
    saved = owner_client.post("/feedback/themes/try/", {"text": "향기가 너무 좋아요"},
                              headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="no-themes"' in saved
    draft = owner_client.post("/feedback/themes/try/",
                              SCENT | {"text": "향기가 너무 좋아요", "draft": "1"},
                              headers={"HX-Request": "true"}).content.decode()
    assert 'data-theme="scent" data-sentiment="positive"' in draft
    # Without JavaScript the edit form's own button answers with the whole form.
    plain = owner_client.post("/feedback/themes/new/",
                              SCENT | {"text": "향기가 너무 좋아요", "action": "try"})
    assert plain.status_code == 200 and 'data-theme="scent"' in plain.content.decode()
    bad = owner_client.post("/feedback/themes/try/",
                            SCENT | {"text": "향기", "draft": "1", "name": "Bad!"},
                            headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="sample-problems"' in bad and "name:" in bad
    assert not ThemeTaxonomy.objects.exists()


def test_reanalysis_from_the_page_updates_old_answers(owner_client, comment_survey,
                                                      django_capture_on_commit_callbacks):
    old = _answer(comment_survey, "향기가 너무 좋아요")
    owner_client.post("/feedback/themes/new/", SCENT)
    assert not ThemeMention.objects.filter(analysis__response=old).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post("/feedback/themes/reanalyse/").status_code == 302
    job = ReanalysisJob.objects.get()
    assert (job.status, job.answers_done, job.taxonomy_version) == ("done", 1, 2)
    assert ThemeMention.objects.get(analysis__response=old).theme == "scent"
    progress = owner_client.get(f"/feedback/themes/reanalyse/{job.pk}/",
                                headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    assert AuditEntry.objects.filter(action="reanalyse").exists()


def test_a_running_reanalysis_polls_for_progress(owner_client):
    job = ReanalysisJob.objects.create(status="running", answers_total=10, answers_done=4)
    html = owner_client.get(URL).content.decode()
    assert 'aria-valuenow="40"' in html and "every 1s" in html
    again = owner_client.post("/feedback/themes/reanalyse/", follow=True)
    assert ReanalysisJob.objects.count() == 1 and job.pk
    assert again.status_code == 200


def test_export_then_import_round_trips_and_the_cli_reads_it(owner_client, tmp_path):
    owner_client.post("/feedback/themes/new/", SCENT)
    owner_client.post("/feedback/themes/app/enable/", {"enabled": "0"})
    exported = owner_client.get("/feedback/themes/export.json")
    assert exported["Content-Disposition"].endswith('dangol-themes.json"')
    document = json.loads(exported.content)
    assert document["themes"][-1]["name"] == "scent"
    assert next(t for t in document["themes"] if t["name"] == "app")["enabled"] is False
    path = tmp_path / "themes.json"
    path.write_bytes(exported.content)
    assert "scent" in textkit.Taxonomy.from_json(path).names  # what the CLI reads

    owner_client.post("/feedback/themes/reset/")
    document["themes"] = [t for t in document["themes"] if t["name"] != "price"]
    upload = SimpleUploadedFile("t.json", json.dumps(document).encode(), "application/json")
    assert owner_client.post("/feedback/themes/import/", {"file": upload}).status_code == 302
    names = list(TaxonomyTheme.objects.values_list("name", flat=True))
    assert "scent" in names and "price" not in names
    assert not TaxonomyTheme.objects.get(name="app").enabled
    assert AuditEntry.objects.filter(action="import").exists()


@pytest.mark.parametrize(("document", "where"), [
    ("{not json", "invalid JSON at line 1"),
    ('{"themes": []}', "themes: expected a non-empty list"),
    ('{"themes": [{"name": "a", "labels": {"ko": "가"}, "cues": {"ko": "배송"}}]}',
     "themes[0].cues.ko"),
    ('{"themes": [{"name": "ok", "labels": {"ko": "가"}, "cues": {"ko": ["가"]}},'
     ' {"name": "Bad Key", "labels": {"ko": "나"}, "cues": {"ko": ["나"]}}]}', "themes[1].name"),
    ('{"themes": [{"name": "ok", "labels": {}, "cues": {"ko": ["가"]}}]}', "themes[0].labels.ko"),
])
def test_a_bad_file_names_the_place_and_changes_nothing(owner_client, document, where):
    upload = SimpleUploadedFile("t.json", document.encode(), "application/json")
    page = owner_client.post("/feedback/themes/import/", {"file": upload}, follow=True)
    errors = re.search(r'<ul class="messages">.*?</ul>', page.content.decode(), re.S).group(0)
    assert "file: " in errors and where in errors
    assert not ThemeTaxonomy.objects.exists() and not AuditEntry.objects.exists()


def test_the_form_points_out_cues_shared_with_another_theme(owner_client):
    html = owner_client.post("/feedback/themes/new/", SCENT | {
        "cues_ko": "향기, 할인", "text": "향기", "action": "try"}).content.decode()
    overlaps = re.search(r'data-testid="overlaps".*?</div>', html, re.S).group(0)
    assert "할인 → 가격" in overlaps and "향기" not in overlaps
    assert 'data-testid="overlaps"' not in owner_client.get(
        "/feedback/themes/new/").content.decode()


def test_an_empty_post_names_the_missing_fields(owner_client):
    response = owner_client.post("/feedback/themes/new/", {})
    assert response.status_code == 422
    html = response.content.decode()
    assert all(f'data-testid="error-{f}"' in html for f in ("name", "label_ko", "cues_ko"))
    assert not ThemeTaxonomy.objects.exists()
