"""Feedback items are analysed like survey answers: in the worker after commit, once,
with sentiment and themes stored, and by the backfill command."""

import pytest
from django.core.management import call_command

from dangol.accounts.actors import SYSTEM, Actor
from dangol.feedback import item_analysis, selectors, taxonomy
from dangol.feedback.analysis import run_reanalysis
from dangol.feedback.items import receive_items
from dangol.feedback.models import FeedbackItem, TextAnalysis, ThemeMention

pytestmark = pytest.mark.django_db

LATE = "배송이 너무 늦어서 실망했어요. 일주일이나 걸렸네요. 010-1234-5678로 연락 주세요"


def receive(owner, *texts):
    return receive_items(actor=Actor(user=owner), rows=[
        {"source": "review", "channel": "쿠팡", "external_id": f"K-{n}", "text": text}
        for n, text in enumerate(texts)])


def test_a_korean_review_about_late_delivery_is_negative_about_delivery(
        owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = receive(owner, LATE, "The app keeps crashing when I log in, terrible.")
    assert len(callbacks) == 1  # one task for the batch, after commit
    late = TextAnalysis.objects.get(feedback_item_id=result.ids[0])
    assert late.source == TextAnalysis.Source.FEEDBACK_ITEM
    assert late.language == "ko" and late.sentiment == "negative"
    assert "[PHONE]" in late.masked_text and "1234" not in late.masked_text
    assert late.survey_id is None and late.answer_id is None
    assert list(late.themes.values_list("theme", "sentiment")) == [("delivery", "negative")]
    app = TextAnalysis.objects.get(feedback_item_id=result.ids[1])
    assert app.language == "en" and ("app", "negative") in app.themes.values_list(
        "theme", "sentiment")
    # The taxonomy's theme counts include feedback items.
    assert selectors.answers_per_theme()["delivery"] == 1


def test_analysis_waits_for_the_commit(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        receive(owner, LATE)
    assert len(callbacks) == 1
    assert not TextAnalysis.objects.exists()  # not run before commit


def test_analysing_twice_stores_nothing_twice(owner):
    result = receive(owner, LATE)  # callbacks not run: nothing analysed yet
    assert item_analysis.analyse_items(item_pks=result.ids) == 1
    assert item_analysis.analyse_items(item_pks=result.ids) == 0
    assert TextAnalysis.objects.count() == 1 and ThemeMention.objects.count() == 1


def test_the_backfill_command_analyses_pending_items_in_chunks(owner, capsys):
    receive(owner, LATE, "품질이 정말 좋아요! 가격도 착하고 만족합니다", "포장이 꼼꼼해요")
    assert FeedbackItem.objects.filter(analysis__isnull=True).count() == 3
    call_command("analyse_answers", "--chunk-size", "2")
    assert "analysed 3 feedback items in 2 chunks" in capsys.readouterr().out
    assert not FeedbackItem.objects.filter(analysis__isnull=True).exists()
    call_command("analyse_answers")
    assert "analysed 0 feedback items" in capsys.readouterr().out


def test_re_analysis_after_a_taxonomy_change_covers_feedback_items(owner):
    result = receive(owner, "향기가 너무 좋아요")
    item_analysis.analyse_items(item_pks=result.ids)
    mentions = ThemeMention.objects.filter(analysis__feedback_item_id=result.ids[0])
    assert not mentions.exists()
    taxonomy.create_theme(actor=SYSTEM, name="scent", label_ko="향", label_en="Scent",
                          cues_ko="향기, 향", cues_en="scent")
    job = taxonomy.start_reanalysis(actor=SYSTEM, queue=False)
    job = run_reanalysis(job_pk=job.pk)
    assert job.answers_total == 1 and job.status == "done"
    assert list(mentions.values_list("theme", "sentiment")) == [("scent", "positive")]
