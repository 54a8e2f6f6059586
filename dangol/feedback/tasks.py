"""Background work of the feedback app (thin: take ids, call the analysis)."""

from celery import shared_task

from dangol.feedback import analysis


@shared_task(acks_late=True)
def analyse_response_task(response_pk: int) -> int:
    """Analyse one completed response's free text; safe to run twice."""
    return analysis.analyse_survey_response(response_pk=response_pk)


@shared_task(acks_late=True)
def analyse_pending_task(chunk_size: int = 500) -> int:
    """Analyse every free-text answer without an analysis, chunk by chunk; safe to run twice."""
    return analysis.analyse_pending_answers(chunk_size=chunk_size).analysed
