"""The business taxonomy: its changes, their checks, and analysis that follows them."""

import pytest
from django.core.management import call_command

from dangol import textkit
from dangol.accounts.actors import SYSTEM, Actor
from dangol.accounts.models import AuditEntry
from dangol.core.errors import DomainError, PermissionDenied, ValidationFailed
from dangol.feedback import analysis, selectors, services, tasks, taxonomy
from dangol.feedback.models import (
    ReanalysisChunk,
    ReanalysisJob,
    TaxonomyTheme,
    ThemeMention,
    ThemeTaxonomy,
)
from dangol.feedback.selectors import ThemeInfo
from dangol.surveys.services.responses import submit_response
from tests.conftest import make_staff
from tests.feedback.conftest import SCENT

pytestmark = pytest.mark.django_db


def _answer(survey, text):
    response, _ = submit_response(survey=survey, language="ko",
                                  answers={"nps": 8, "comment": text})
    services.analyse_survey_response(response_pk=response.pk)
    return response


def _themes(response):
    return set(ThemeMention.objects.filter(analysis__response=response)
               .values_list("theme", flat=True))


def test_before_any_change_the_business_uses_the_default_taxonomy():
    snapshot = selectors.taxonomy_snapshot()
    assert not snapshot.customised and not ThemeTaxonomy.objects.exists()
    assert [t.name for t in snapshot.themes] == textkit.default_taxonomy().names
    assert selectors.theme_label("delivery", "ko") == "배송"


def test_the_first_change_copies_the_default_then_adds_the_theme():
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    names = list(TaxonomyTheme.objects.values_list("name", flat=True))
    assert names == [*textkit.default_taxonomy().names, "scent"]
    scent = TaxonomyTheme.objects.get(name="scent")
    assert scent.cues_ko == ["향기", "향", "냄새"] and scent.cues_en == ["scent", "smell",
                                                                   "fragrance"]
    assert ThemeTaxonomy.objects.get().version == 2
    assert selectors.business_taxonomy().names[-1] == "scent"


def test_a_new_answer_is_analysed_with_an_added_theme(comment_survey):
    before = _answer(comment_survey, "향기가 너무 좋아요")
    assert _themes(before) == set()
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    after = _answer(comment_survey, "향기가 너무 좋아요")
    assert _themes(after) == {"scent"}
    assert _themes(before) == set()  # past answers change only when re-analysed


def test_a_cue_added_to_an_existing_theme_is_used(comment_survey):
    assert _themes(_answer(comment_survey, "사은품이 마음에 들어요")) == set()
    quality = selectors.taxonomy_snapshot().find("quality")
    taxonomy.update_theme(actor=SYSTEM, name="quality", label_ko=quality.label_ko,
                          label_en=quality.label_en,
                          cues_ko=[*quality.cues_ko, "사은품"], cues_en=list(quality.cues_en))
    assert _themes(_answer(comment_survey, "사은품이 마음에 들어요")) == {"quality"}


def test_a_switched_off_theme_is_not_found_but_keeps_its_label(comment_survey):
    old = _answer(comment_survey, "배송이 너무 늦어요")
    taxonomy.set_theme_enabled(actor=SYSTEM, name="delivery", enabled=False)
    assert _themes(_answer(comment_survey, "배송이 너무 늦어요")) == set()
    assert _themes(old) == {"delivery"}
    assert selectors.theme_label("delivery", "en") == "Delivery"
    taxonomy.set_theme_enabled(actor=SYSTEM, name="delivery", enabled=True)
    assert _themes(_answer(comment_survey, "배송이 너무 늦어요")) == {"delivery"}


@pytest.mark.parametrize(("values", "field"), [
    ({"name": "Bad key!"}, "name"),
    ({"name": "delivery"}, "name"),
    ({"label_ko": "", "label_en": ""}, "label_ko"),
    ({"label_en": "x" * 41}, "label_en"),
    ({"cues_ko": "", "cues_en": ""}, "cues_ko"),
    ({"cues_ko": "향기, " + "가" * 41}, "cues_ko"),
    ({"cues_en": ", ".join(f"word{i}" for i in range(201))}, "cues_en"),
])
def test_a_bad_theme_names_the_field_and_changes_nothing(values, field):
    taxonomy.create_theme(actor=SYSTEM, **SCENT | {"name": "first"})
    state = (ThemeTaxonomy.objects.get().revision, TaxonomyTheme.objects.count(),
             AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        taxonomy.create_theme(actor=SYSTEM, **SCENT | values)
    assert [p.field for p in caught.value.problems] == [field]
    assert (ThemeTaxonomy.objects.get().revision, TaxonomyTheme.objects.count(),
            AuditEntry.objects.count()) == state


def test_a_bad_edit_of_the_default_saves_nothing_at_all():
    with pytest.raises(ValidationFailed) as caught:
        taxonomy.update_theme(actor=SYSTEM, name="delivery", label_ko="배송", label_en="",
                              cues_ko="", cues_en="")
    assert caught.value.problems[0].field == "cues_ko"
    assert not ThemeTaxonomy.objects.exists() and not TaxonomyTheme.objects.exists()


def test_textkit_refusals_are_named_by_form_field():
    bad = ThemeInfo(name="", label_ko="x", label_en="x", cues_ko=("a",), cues_en=())
    good = ThemeInfo(name="ok", label_ko="x", label_en="x", cues_ko=("a",), cues_en=())
    with pytest.raises(ValidationFailed) as caught:
        taxonomy._check_with_textkit([good, bad], 1)
    problem = caught.value.problems[0]
    assert problem.field == "name" and problem.message.startswith("themes[1].name")
    with pytest.raises(ValidationFailed) as caught:
        taxonomy._check_with_textkit([good, good], 1)
    assert caught.value.problems[0].field == "name"


def test_only_managers_change_the_taxonomy():
    analyst = Actor(user=make_staff("analyst"))
    with pytest.raises(PermissionDenied):
        taxonomy.create_theme(actor=analyst, **SCENT)
    with pytest.raises(PermissionDenied):
        taxonomy.reset_taxonomy(actor=analyst)
    with pytest.raises(PermissionDenied):
        taxonomy.start_reanalysis(actor=analyst)
    assert not ThemeTaxonomy.objects.exists()
    admin = Actor(user=make_staff("admin"))
    taxonomy.create_theme(actor=admin, **SCENT)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_label) == (
        "create", "feedback.theme", "scent", "admin@example.com")


def test_changes_are_audited_with_the_changed_fields():
    taxonomy.update_theme(actor=SYSTEM, name="price", label_ko="가격·혜택", label_en="Price",
                          cues_ko=list(selectors.taxonomy_snapshot().find("price").cues_ko),
                          cues_en=list(selectors.taxonomy_snapshot().find("price").cues_en))
    taxonomy.move_theme(actor=SYSTEM, name="price", offset=-1)
    taxonomy.set_theme_enabled(actor=SYSTEM, name="app", enabled=False)
    taxonomy.delete_theme(actor=SYSTEM, name="colour")
    taxonomy.reset_taxonomy(actor=SYSTEM)
    rows = list(AuditEntry.objects.order_by("pk").values_list("action", "object_id", "fields"))
    assert rows == [("update", "price", ["label_ko"]), ("move", "price", ["position"]),
                    ("disable", "app", ["enabled"]), ("delete", "colour", ["name"]),
                    ("reset", "1", ["themes"])]
    assert ThemeTaxonomy.objects.get().version == 6


def test_reorder_rename_delete_and_reset():
    taxonomy.move_theme(actor=SYSTEM, name="price", offset=-1)
    assert selectors.taxonomy_snapshot().themes[0].name == "price"
    taxonomy.move_theme(actor=SYSTEM, name="price", offset=-1)  # already first: no change
    assert ThemeTaxonomy.objects.get().version == 2
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    taxonomy.delete_theme(actor=SYSTEM, name="scent")
    assert selectors.theme_label("scent", "en") == "Scent (deleted)"
    assert "scent" not in selectors.business_taxonomy().names
    taxonomy.create_theme(actor=SYSTEM, **SCENT | {"label_en": "Smell"})
    assert selectors.theme_label("scent", "en") == "Smell"  # the key is back in use
    taxonomy.reset_taxonomy(actor=SYSTEM)
    assert selectors.business_taxonomy().names == textkit.default_taxonomy().names
    assert selectors.theme_label("scent", "en") == "Smell (deleted)"


def test_the_last_theme_cannot_be_deleted():
    for name in textkit.default_taxonomy().names[1:]:
        taxonomy.delete_theme(actor=SYSTEM, name=name)
    with pytest.raises(ValidationFailed):
        taxonomy.delete_theme(actor=SYSTEM, name="delivery")
    assert list(TaxonomyTheme.objects.values_list("name", flat=True)) == ["delivery"]


def test_an_edit_made_elsewhere_is_picked_up_without_a_restart(comment_survey):
    first = selectors.business_taxonomy()
    assert selectors.business_taxonomy() is first  # compiled once, reused while unchanged
    # Another process changes the taxonomy: only the database knows.
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    assert selectors.business_taxonomy() is not first
    assert "scent" in selectors.business_taxonomy().names


def test_reanalysis_replaces_the_themes_of_past_answers(comment_survey,
                                                        django_capture_on_commit_callbacks):
    scented = [_answer(comment_survey, f"향기가 좋고 배송도 빨라요 {i}") for i in range(3)]
    plain = _answer(comment_survey, "품질이 최고예요")
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    taxonomy.delete_theme(actor=SYSTEM, name="quality")
    assert all(_themes(r) == {"delivery"} for r in scented)
    with django_capture_on_commit_callbacks(execute=True):
        job = taxonomy.start_reanalysis(actor=SYSTEM)
    job.refresh_from_db()
    assert (job.status, job.answers_total, job.answers_done) == ("done", 4, 4)
    assert all(_themes(r) == {"delivery", "scent"} for r in scented)
    assert _themes(plain) == set()  # the deleted theme is gone from past answers too
    mention = ThemeMention.objects.filter(theme="scent").first()
    assert mention.survey_id == comment_survey.pk and mention.sentiment == "positive"


def test_reanalysis_in_chunks_is_safe_to_run_twice(comment_survey):
    responses = [_answer(comment_survey, f"냄새가 너무 심해요 {i}") for i in range(5)]
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    job = ReanalysisJob.objects.create(taxonomy_version=2)
    chunks = analysis.plan_reanalysis(job_pk=job.pk, chunk_size=2)
    assert len(chunks) == 3 and analysis.plan_reanalysis(job_pk=job.pk) == chunks
    assert analysis.reanalyse_chunk(chunk_pk=chunks[0]) == 2
    assert analysis.reanalyse_chunk(chunk_pk=chunks[0]) == 0  # done already
    job.refresh_from_db()
    assert (job.status, job.answers_done, job.answers_total, job.percent) == ("running", 2, 5,
                                                                             40)
    assert [_themes(r) for r in responses] == [{"scent"}] * 2 + [set()] * 3
    for chunk in chunks[1:]:
        analysis.reanalyse_chunk(chunk_pk=chunk)
    job.refresh_from_db()
    assert job.status == "done" and job.finished_at is not None
    assert not ReanalysisChunk.objects.filter(done=False).exists()
    assert all(_themes(r) == {"scent"} for r in responses)
    assert ThemeMention.objects.filter(theme="scent", sentiment="negative").count() == 5


def test_a_failing_chunk_keeps_the_old_themes(comment_survey, monkeypatch):
    response = _answer(comment_survey, "향기가 좋고 배송도 빨라요")
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    job = ReanalysisJob.objects.create(taxonomy_version=2)
    [chunk] = analysis.plan_reanalysis(job_pk=job.pk)

    def broken_insert(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ThemeMention.objects, "bulk_create", broken_insert)
    with pytest.raises(RuntimeError):
        tasks.reanalyse_chunk_task.delay(chunk)
    monkeypatch.undo()
    job.refresh_from_db()
    assert job.status == "failed" and "disk full" in job.error
    assert _themes(response) == {"delivery"}  # the delete was rolled back with the insert
    assert not ReanalysisChunk.objects.get(pk=chunk).done


def test_only_one_reanalysis_runs_at_a_time():
    ReanalysisJob.objects.create(status="running")
    with pytest.raises(DomainError) as caught:
        taxonomy.start_reanalysis(actor=SYSTEM)
    assert caught.value.code == "already_running"
    assert ReanalysisJob.objects.count() == 1


def test_trying_a_sentence_with_unsaved_values_stores_nothing():
    saved = taxonomy.analyse_sample(text="향기가 너무 좋아요", language="ko")
    assert saved.analysis.themes == () and not saved.draft
    draft = taxonomy.analyse_sample(text="향기가 너무 좋아요", language="ko",
                                    draft={k: v for k, v in SCENT.items()})
    assert [(t.name, t.sentiment) for t in draft.analysis.themes] == [("scent", "positive")]
    assert draft.labels["scent"] == "향"
    edited = taxonomy.analyse_sample(
        text="향기가 너무 좋아요", language="en", editing="quality",
        draft={"label_ko": "품질", "label_en": "Quality", "cues_ko": "향기", "cues_en": ""})
    assert [t.name for t in edited.analysis.themes] == ["quality"]
    assert not ThemeTaxonomy.objects.exists()
    with pytest.raises(ValidationFailed) as caught:
        taxonomy.analyse_sample(text="  ", language="ko")
    assert caught.value.problems[0].field == "text"


def test_the_command_reanalyses_themes_in_this_process(comment_survey, capsys):
    responses = [_answer(comment_survey, f"향기가 좋아요 {i}") for i in range(3)]
    taxonomy.create_theme(actor=SYSTEM, **SCENT)
    call_command("analyse_answers", "--themes", "--chunk-size", "2")
    assert "re-analysed the themes of 3 answers in 2 chunks" in capsys.readouterr().out
    assert all(_themes(r) == {"scent"} for r in responses)
    assert ReanalysisJob.objects.get().status == "done"
