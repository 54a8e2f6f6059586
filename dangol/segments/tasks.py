from celery import shared_task
from django.utils.dateparse import parse_datetime

from dangol.segments import services


@shared_task(acks_late=True)
def score_customers_task(as_of: str | None = None) -> dict[str, object]:
    """Score every customer (nightly or on demand); safe to run twice."""
    result = services.score_customers(as_of=parse_datetime(as_of) if as_of else None)
    return {
        "customers_scored": result.customers_scored,
        "segments": result.segments,
        "prediction_skipped_reason": result.prediction_skipped_reason,
        "value_skipped_reason": result.value_skipped_reason,
    }


@shared_task(acks_late=True)
def refresh_segment_counts_task() -> int:
    """Recount every saved segment's members (nightly, after scoring); safe to run twice."""
    return services.refresh_member_counts()
