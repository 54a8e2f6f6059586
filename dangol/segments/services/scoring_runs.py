"""Scoring runs split into chunks of customer keys that the Celery workers share.

Phase 1 (:func:`start_chunked_run`, in the caller): the run row holds the plan
(fitted models, quintile cut points) and one :class:`ScoringChunk` per range
of customer keys; one task per chunk is queued after commit.

Phase 2 (:func:`score_chunk`, one task per chunk): re-reads that range's
summary with one query, applies the stored plan and upserts the range's
scores in its own transaction, marking the chunk done in the same transaction.

Phase 3 (:func:`finish_run_if_complete`, by whichever chunk completes the
count): under the run's row lock, when every chunk is done, deletes the scores
the run did not rewrite (customers without a purchase any more) and marks the
run done.

What is guaranteed: a chunk's customers all have the new scores or all keep
their previous ones (one transaction per chunk). A chunk may run twice: it
rewrites the same rows with the same values. When a chunk fails the run is
marked failed with the reason; chunks already committed keep their new
scores, every other customer keeps the previous score, nothing is deleted,
and chunks still queued do nothing. A score is never replaced by one of an
older run.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from dangol.core.transactions import enqueue_after_commit
from dangol.segments import tasks
from dangol.segments.models import ScoringChunk, ScoringRun
from dangol.segments.services.score_writes import delete_scores_before, write_scores
from dangol.segments.services.scoring_plan import (
    SEGMENT_CODES,
    SEGMENT_GRID,
    Plan,
    apply_plan,
    rfm_values,
    scores_from_cuts,
)
from dangol.segments.services.summaries import Summaries, read_summaries

_ERROR_LENGTH = 2000


def chunk_ranges(customer_ids: np.ndarray, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive key ranges holding ``chunk_size`` of the (sorted) customers each."""
    if customer_ids.shape[0] == 0:
        return []
    starts = customer_ids[::chunk_size].tolist()
    ends = [s - 1 for s in starts[1:]] + [int(customer_ids[-1])]
    return list(zip(starts, ends, strict=True))


def start_chunked_run(*, as_of: datetime, summaries: Summaries, plan: Plan,
                      chunk_size: int) -> ScoringRun:
    """Record a run with its plan and chunks; queue one chunk task each after commit.

    Segment counts come from the global summary (they need only the cut
    points); the chunks recompute everything else.
    """
    values = rfm_values(summaries)
    codes = SEGMENT_GRID[scores_from_cuts(values["R"], plan.cuts["R"]) - 1,
                         scores_from_cuts(values["F"], plan.cuts["F"]) - 1]
    counts = np.bincount(codes, minlength=len(SEGMENT_CODES)).tolist()
    ranges = chunk_ranges(summaries.customer_ids, max(chunk_size, 1))
    with transaction.atomic():
        run = ScoringRun.objects.create(
            mode=ScoringRun.Mode.CHUNKED, as_of=as_of, scored_at=timezone.now(),
            plan=plan.as_json(), customers=summaries.size,
            repeat_buyers=int((summaries.purchase_days > 1).sum()), chunks=len(ranges),
            segments=dict(zip(SEGMENT_CODES, counts, strict=True)))
        ScoringChunk.objects.bulk_create(
            [ScoringChunk(run=run, first_pk=first, last_pk=last) for first, last in ranges])
        for first, last in ranges:
            enqueue_after_commit(tasks.score_chunk_task, run.pk, first, last)
    if not ranges:
        finish_run_if_complete(run_id=run.pk)
        run.refresh_from_db()
    return run


def score_chunk(*, run_id: int, first_pk: int, last_pk: int) -> bool:
    """Score customers first_pk..last_pk of a running run; then complete the run if last.

    Effect: one transaction upserts the range's scores and marks its chunk
    done. Does nothing (returns False) when the run is no longer running.
    Raises ScoringRun.DoesNotExist / ScoringChunk.DoesNotExist for unknown ids.
    """
    run = ScoringRun.objects.get(pk=run_id)
    if run.status != ScoringRun.Status.RUNNING:
        return False
    chunk = ScoringChunk.objects.get(run=run, first_pk=first_pk, last_pk=last_pk)
    summaries = read_summaries(as_of=run.as_of, first_pk=first_pk, last_pk=last_pk)
    scores = apply_plan(Plan.from_json(run.plan), summaries)
    with transaction.atomic():
        write_scores(summaries=summaries, scores=scores, scored_at=run.scored_at)
        ScoringChunk.objects.filter(pk=chunk.pk).update(
            status=ScoringChunk.Status.DONE, customers=summaries.size,
            non_finite_predictions=scores.non_finite(), finished_at=timezone.now(), error="")
    finish_run_if_complete(run_id=run_id)
    return True


def finish_run_if_complete(*, run_id: int) -> bool:
    """Complete a running run whose chunks are all done: delete stale scores, mark it done.

    Takes the run's row lock, so exactly one caller completes it; returns
    whether this call did.
    """
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != ScoringRun.Status.RUNNING:
            return False
        chunks = ScoringChunk.objects.filter(run=run, status=ScoringChunk.Status.DONE)
        if chunks.count() < run.chunks:
            return False
        run.non_finite_predictions = chunks.aggregate(
            n=Sum("non_finite_predictions"))["n"] or 0
        run.scores_deleted = delete_scores_before(scored_at=run.scored_at)
        run.status = ScoringRun.Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["non_finite_predictions", "scores_deleted", "status",
                                "finished_at"])
    return True


def fail_chunk(*, run_id: int, first_pk: int, last_pk: int, error: str) -> None:
    """Mark a chunk and its run failed with ``error``; the run's other chunks then do nothing."""
    reason = f"customers {first_pk}-{last_pk}: {error}"[:_ERROR_LENGTH]
    with transaction.atomic():
        ScoringChunk.objects.filter(run_id=run_id, first_pk=first_pk, last_pk=last_pk).update(
            status=ScoringChunk.Status.FAILED, error=reason, finished_at=timezone.now())
        ScoringRun.objects.filter(pk=run_id, status=ScoringRun.Status.RUNNING).update(
            status=ScoringRun.Status.FAILED, error=reason, finished_at=timezone.now())


def resume_run(*, run_id: int) -> int:
    """Queue again, after commit, every chunk of a running or failed run that is not done.

    For a run whose messages were lost, or that failed for a reason since
    removed: a failed run becomes running again with the same plan and
    ``scored_at``. Returns the number of chunks queued (0 for a finished run);
    the run completes when they are done. Takes the run's row lock.
    """
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status == ScoringRun.Status.DONE:
            return 0
        if run.status == ScoringRun.Status.FAILED:
            run.status, run.error, run.finished_at = ScoringRun.Status.RUNNING, "", None
            run.save(update_fields=["status", "error", "finished_at"])
        ranges = list(ScoringChunk.objects.filter(run=run).exclude(
            status=ScoringChunk.Status.DONE).order_by("first_pk").values_list("first_pk",
                                                                            "last_pk"))
        for first, last in ranges:
            enqueue_after_commit(tasks.score_chunk_task, run.pk, first, last)
    if not ranges:
        finish_run_if_complete(run_id=run_id)
    return len(ranges)


def chunks_done(*, run_id: int) -> int:
    """How many chunks of the run have committed their scores."""
    return ScoringChunk.objects.filter(run_id=run_id, status=ScoringChunk.Status.DONE).count()
