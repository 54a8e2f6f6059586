import pytest
from django.core.management import call_command

from dangol.feedback import analysis, selectors, services, tasks
from dangol.feedback.models import TextAnalysis, ThemeMention
from dangol.surveys.models import Answer
from dangol.surveys.services.responses import submit_response

pytestmark = pytest.mark.django_db

MIXED = "배송이 너무 늦어요 그래도 품질은 좋아요"


def test_korean_comment_gets_language_sentiment_and_themes(comment_survey):
    response, _ = submit_response(survey=comment_survey, language="ko",
                                  answers={"nps": 7, "comment": MIXED})
    assert services.analyse_survey_response(response_pk=response.pk) == 1
    analysis = TextAnalysis.objects.get(response=response)
    assert analysis.language == "ko"
    assert analysis.source == "survey_answer" and analysis.survey_id == comment_survey.pk
    assert analysis.answer.question == "comment"
    themes = dict(analysis.themes.values_list("theme", "sentiment"))
    assert themes == {"delivery": "negative", "quality": "positive"}
    assert "배송" in analysis.keywords


def test_phone_number_is_masked_in_the_stored_text(comment_survey):
    response, _ = submit_response(survey=comment_survey, language="ko",
                                  answers={"nps": 3, "comment": "연락 주세요 010-1234-5678"})
    services.analyse_survey_response(response_pk=response.pk)
    masked = TextAnalysis.objects.get(response=response).masked_text
    assert "010-1234-5678" not in masked and "1234" not in masked
    assert masked.startswith("연락 주세요")


def test_analysing_twice_stores_each_answer_once(comment_survey):
    response, _ = submit_response(
        survey=comment_survey, language="en",
        answers={"nps": 10, "comment": "Fast delivery, great quality",
                 "best": {"choice": "other", "other": "The friendly staff"}})
    assert services.analyse_survey_response(response_pk=response.pk) == 2
    assert services.analyse_survey_response(response_pk=response.pk) == 0
    assert TextAnalysis.objects.filter(response=response).count() == 2
    assert ThemeMention.objects.filter(analysis__response=response, theme="delivery").count() == 1


def test_task_queued_after_commit_analyses_the_response(comment_survey,
                                                        django_capture_on_commit_callbacks):
    response, _ = submit_response(survey=comment_survey, language="ko",
                                  answers={"nps": 2, "comment": "배송이 너무 늦어요"})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.queue_response_analysis(response_pk=response.pk)
    assert not TextAnalysis.objects.exists()  # nothing runs before the commit
    for callback in callbacks:
        callback()  # the commit: Celery runs the task inline in tests
    assert TextAnalysis.objects.get(response=response).sentiment == "negative"


def test_backfill_analyses_pending_answers_in_chunks(comment_survey):
    responses = [submit_response(survey=comment_survey, language="en",
                                 answers={"nps": 9, "comment": f"Great price {i}"})[0]
                 for i in range(5)]
    submit_response(survey=comment_survey, language="en", answers={"nps": 9})  # no text
    services.analyse_survey_response(response_pk=responses[0].pk)
    result = services.analyse_pending_answers(chunk_size=2)
    assert (result.analysed, result.chunks) == (4, 2)
    assert TextAnalysis.objects.count() == 5
    assert services.analyse_pending_answers(chunk_size=2).analysed == 0


def test_backfill_command(comment_survey, capsys):
    submit_response(survey=comment_survey, language="ko", answers={"nps": 9, "comment": "좋아요"})
    call_command("analyse_answers", "--chunk-size", "10")
    assert "analysed 1 answers" in capsys.readouterr().out
    assert TextAnalysis.objects.count() == 1


def test_theme_sentiment_counts_and_filters(comment_survey):
    texts = ["배송이 너무 늦어요", "배송이 빨라서 좋아요", "품질이 최고예요", "배송이 느려요 실망"]
    ids = []
    for text in texts:
        response, _ = submit_response(survey=comment_survey, language="ko",
                                      answers={"nps": 5, "comment": text})
        services.analyse_survey_response(response_pk=response.pk)
        ids.append(response.pk)
    counts = {c.theme: c for c in selectors.theme_sentiment_counts(
        survey_pk=comment_survey.pk, language="ko")}
    assert (counts["delivery"].negative, counts["delivery"].positive) == (2, 1)
    assert counts["delivery"].label == "배송"
    assert counts["quality"].positive == 1
    negative_delivery = selectors.responses_matching(survey_pk=comment_survey.pk,
                                                     theme="delivery", sentiment="negative")
    assert sorted(r["response_id"] for r in negative_delivery) == [ids[0], ids[3]]
    assert [r["response_id"] for r in selectors.responses_matching(
        survey_pk=comment_survey.pk, contains="최고")] == [ids[2]]


def test_a_completed_response_is_analysed_on_arrival(comment_survey,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = submit_response(survey=comment_survey, language="ko",
                                      answers={"nps": 4, "comment": MIXED})
    analysis = TextAnalysis.objects.get(response=response)
    assert set(analysis.themes.values_list("theme", "sentiment")) == {
        ("delivery", "negative"), ("quality", "positive")}


def test_admin_shows_analyses_read_only_and_masked(owner_client, comment_survey):
    submit_response(survey=comment_survey, language="ko",
                    answers={"nps": 1, "comment": "배송 문의 010-1234-5678"})
    services.analyse_pending_answers()
    analysis = TextAnalysis.objects.get()
    html = owner_client.get(f"/admin/feedback/textanalysis/{analysis.pk}/change/").content.decode()
    assert "[PHONE]" in html and "010-1234-5678" not in html
    assert owner_client.get("/admin/feedback/textanalysis/add/").status_code == 403


def test_queued_backfill_splits_the_work_into_chunk_tasks(comment_survey,
                                                           django_capture_on_commit_callbacks):
    for i in range(5):
        submit_response(survey=comment_survey, language="en",
                        answers={"nps": 8, "comment": f"Slow delivery {i}"})
    pks = list(Answer.objects.exclude(text="").order_by("pk").values_list("pk", flat=True))
    assert list(analysis.pending_ranges(chunk_size=2)) == [
        (pks[0], pks[1]), (pks[2], pks[3]), (pks[4], pks[4])]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.queue_pending_analysis(chunk_size=2)
    assert len(callbacks) == 1  # the planning task, queued after commit
    assert TextAnalysis.objects.count() == 5
    assert list(analysis.pending_ranges(chunk_size=2)) == []
    assert tasks.analyse_pending_task.delay(2).get() == 0  # nothing left: no chunk tasks


def test_a_worker_that_lost_the_race_stores_nothing(comment_survey):
    response, _ = submit_response(survey=comment_survey, language="ko",
                                  answers={"nps": 6, "comment": MIXED})
    # Two workers read the same unanalysed answer; the first one stores its analysis.
    stale = list(Answer.objects.filter(response=response).exclude(text=""))
    assert services.analyse_survey_response(response_pk=response.pk) == 1
    assert analysis._analyse_and_store(stale) == 0  # the unique answer link refuses a copy
    assert TextAnalysis.objects.filter(response=response).count() == 1
    assert ThemeMention.objects.filter(analysis__response=response).count() == 2
