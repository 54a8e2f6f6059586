"""Background work of the feedback app (thin: take ids, call the analysis)."""

from celery import shared_task

from dangol.feedback import analysis


@shared_task(acks_late=True)
def analyse_response_task(response_pk: int) -> int:
    """Analyse one completed response's free text; safe to run twice."""
    return analysis.analyse_survey_response(response_pk=response_pk)


@shared_task(acks_late=True)
def analyse_answer_range_task(first_pk: int, last_pk: int) -> int:
    """Analyse one chunk of not yet analysed answers (ids first_pk..last_pk); safe to run twice."""
    return analysis.analyse_answer_range(first_pk=first_pk, last_pk=last_pk)


@shared_task(acks_late=True)
def analyse_pending_task(chunk_size: int = 500) -> int:
    """Split the not yet analysed answers into chunks, one task each, for any worker to take."""
    chunks = 0
    for first_pk, last_pk in analysis.pending_ranges(chunk_size=chunk_size):
        analyse_answer_range_task.delay(first_pk, last_pk)
        chunks += 1
    return chunks
