import logging

from celery import shared_task
from django.utils.dateparse import parse_datetime

from dangol.segments import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def score_customers_task(as_of: str | None = None, run_id: int | None = None
                         ) -> dict[str, object]:
    """Score every customer, in chunks on the workers when many; safe to run twice.

    Without ``run_id`` (the nightly schedule) a new run starts, unless one is
    running: then nothing happens and the result says why. With ``run_id`` the
    queued run (started on the page or API, or queued again) is carried out.
    """
    try:
        result = services.score_customers(as_of=parse_datetime(as_of) if as_of else None,
                                          run_id=run_id,
                                          started_by="" if run_id else "schedule")
    except services.ScoringAlreadyRunning as refused:
        logger.warning("scoring skipped: %s", refused.message)
        return {"skipped": refused.code, "running_run_id": refused.running_id}
    return {
        "run_id": result.run_id,
        "status": result.status,
        "customers_scored": result.customers_scored,
        "chunks": result.chunks,
        "segments": result.segments,
        "prediction_skipped_reason": result.prediction_skipped_reason,
        "value_skipped_reason": result.value_skipped_reason,
    }


@shared_task(acks_late=True)
def score_chunk_task(run_id: int, first_pk: int, last_pk: int) -> bool:
    """Score one chunk of a run; safe to run twice. A failure fails the run, with the reason."""
    try:
        return services.score_chunk(run_id=run_id, first_pk=first_pk, last_pk=last_pk)
    except Exception as exc:
        services.fail_chunk(run_id=run_id, first_pk=first_pk, last_pk=last_pk,
                            error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task
def reclaim_stalled_scoring_task() -> dict[str, list[int]]:
    """Queue again the scoring work a stopped worker left (every few minutes); fail or
    stall a run after repeated tries. Safe to run twice."""
    return services.reclaim_stalled_work().as_dict()


@shared_task(acks_late=True)
def refresh_segment_counts_task() -> int:
    """Recount every saved segment's members (nightly, after scoring); safe to run twice."""
    return services.refresh_member_counts()
