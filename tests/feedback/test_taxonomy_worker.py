"""A real Celery worker follows taxonomy changes without a restart and re-analyses past answers."""

import pytest

from dangol.accounts.actors import SYSTEM
from dangol.feedback import taxonomy
from dangol.feedback.models import ReanalysisJob, TextAnalysis, ThemeMention
from dangol.surveys.services.responses import submit_response
from tests.feedback.conftest import SCENT
from tests.fixtures_worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _themes(response):
    return set(ThemeMention.objects.filter(analysis__response=response)
               .values_list("theme", flat=True))


def test_the_worker_uses_the_changed_taxonomy_and_reanalyses(file_queue, comment_survey):
    worker = start_worker()
    try:
        before, _ = submit_response(survey=comment_survey, language="ko",
                                    answers={"nps": 9, "comment": "향기가 너무 좋아요"})
        wait_for(lambda: TextAnalysis.objects.filter(response=before).exists(), worker)
        assert _themes(before) == set()

        # The same worker process, already holding a compiled taxonomy, gets the new theme.
        taxonomy.create_theme(actor=SYSTEM, **SCENT)
        after, _ = submit_response(survey=comment_survey, language="ko",
                                   answers={"nps": 9, "comment": "향기가 너무 좋아요"})
        wait_for(lambda: TextAnalysis.objects.filter(response=after).exists(), worker)
        assert _themes(after) == {"scent"}

        job = taxonomy.start_reanalysis(actor=SYSTEM)

        def finished() -> bool:
            job.refresh_from_db()
            return job.status in {ReanalysisJob.Status.DONE, ReanalysisJob.Status.FAILED}

        wait_for(finished, worker)
        assert (job.status, job.answers_done, job.answers_total) == ("done", 2, 2), job.error
        assert _themes(before) == {"scent"}
    finally:
        stop_worker(worker)
