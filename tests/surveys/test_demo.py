from django.core.management import call_command

from dangol.surveys.models import Answer, Response, Survey
from dangol.surveys.results import survey_results


def test_the_demo_has_an_nps_and_a_csat_survey_with_bilingual_comments(db) -> None:
    call_command("demo", customers=300, seed=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    nps = Survey.objects.get(kind="nps")
    csat = Survey.objects.get(kind="csat")
    assert nps.status == csat.status == "live"
    assert Response.objects.filter(survey=nps).count() > 100
    results = survey_results(nps, language="ko")
    assert results.headline.nps is not None
    assert -100 <= results.headline.nps.score <= 100
    comments = Answer.objects.filter(survey=nps).exclude(text="")
    languages = set(comments.values_list("response__language", flat=True))
    assert languages == {"ko", "en"}
    assert nps.completed_count == Response.objects.filter(survey=nps).count()


def test_the_demo_comments_are_analysed(db) -> None:
    from dangol.feedback.models import TextAnalysis

    call_command("demo", customers=120, seed=4, stdout=open("/dev/null", "w"))  # noqa: SIM115
    comments = Answer.objects.exclude(text="").count()
    assert comments > 0
    assert TextAnalysis.objects.filter(answer__isnull=False).count() == comments


def test_the_demo_has_analysed_reviews_and_other_feedback(db) -> None:
    from dangol.feedback.models import FeedbackItem, TextAnalysis

    call_command("demo", customers=120, seed=4, stdout=open("/dev/null", "w"))  # noqa: SIM115
    items = FeedbackItem.objects.all()
    assert items.count() >= 100
    assert {"review", "app_store", "conversation"} <= set(items.values_list("source", flat=True))
    assert items.filter(customer__isnull=False).exists()
    assert TextAnalysis.objects.filter(feedback_item__isnull=False).count() == items.count()
    assert TextAnalysis.objects.filter(feedback_item__isnull=False, sentiment="negative").exists()


def test_the_demo_members_have_points_and_tiers(db) -> None:
    from dangol.loyalty.models import Account

    call_command("demo", customers=150, seed=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Account.objects.filter(balance__gt=0).exists()
    assert Account.objects.filter(tier__isnull=False).exists()
