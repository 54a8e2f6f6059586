"""Background work of the feedback app (thin: take ids, call the analysis)."""

from celery import shared_task

from dangol.feedback import analysis, item_analysis


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


@shared_task(acks_late=True)
def plan_reanalysis_task(job_pk: int) -> int:
    """Split a theme re-analysis into chunks, one task each, for any worker to take."""
    chunk_pks = analysis.plan_reanalysis(job_pk=job_pk)
    for chunk_pk in chunk_pks:
        reanalyse_chunk_task.delay(chunk_pk)
    return len(chunk_pks)


@shared_task(acks_late=True)
def reanalyse_chunk_task(chunk_pk: int) -> int:
    """Replace the theme mentions of one chunk of answers; safe to run twice."""
    try:
        return analysis.reanalyse_chunk(chunk_pk=chunk_pk)
    except Exception as error:
        analysis.fail_reanalysis(chunk_pk=chunk_pk, error=f"{type(error).__name__}: {error}")
        raise


@shared_task(acks_late=True)
def analyse_items_task(item_pks: list[int]) -> int:
    """Analyse newly received feedback items; safe to run twice."""
    return item_analysis.analyse_items(item_pks=item_pks)


@shared_task(acks_late=True)
def analyse_item_range_task(first_pk: int, last_pk: int) -> int:
    """Analyse one chunk of not yet analysed feedback items; safe to run twice."""
    return item_analysis.analyse_item_range(first_pk=first_pk, last_pk=last_pk)


@shared_task(acks_late=True)
def analyse_pending_items_task(chunk_size: int = 500) -> int:
    """Split the not yet analysed feedback items into chunks, one task each."""
    chunks = 0
    for first_pk, last_pk in item_analysis.pending_item_ranges(chunk_size=chunk_size):
        analyse_item_range_task.delay(first_pk, last_pk)
        chunks += 1
    return chunks
