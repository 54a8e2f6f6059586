from celery import shared_task
from django.utils.dateparse import parse_datetime

from dangol.segments import services


@shared_task(acks_late=True)
def score_customers_task(as_of: str | None = None) -> dict[str, object]:
    """Score every customer (nightly or on demand), in chunks on the workers when many;
    safe to run twice."""
    result = services.score_customers(as_of=parse_datetime(as_of) if as_of else None)
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


@shared_task(acks_late=True)
def refresh_segment_counts_task() -> int:
    """Recount every saved segment's members (nightly, after scoring); safe to run twice."""
    return services.refresh_member_counts()
