"""Scoring runs: one running at a time, split into chunks of customer keys that the
Celery workers share.

Phase 0 (:func:`begin_run`): the run row is recorded as running; the database
refuses a second running run (:class:`ScoringAlreadyRunning`).

Phase 1 (:func:`plan_chunks`, in whoever reads and fits): the run row gets the
plan (fitted models, quintile cut points) and one :class:`ScoringChunk` per
range of customer keys; one task per chunk is queued after commit.

Phase 2 (:func:`score_chunk`, one task per chunk): claims the chunk (a lease
that the stalled-run check watches, see
:mod:`~dangol.segments.services.scoring_leases`), re-reads that range's summary
with one query, applies the stored plan and upserts the range's scores in its
own transaction, marking the chunk done in the same transaction.

Phase 3 (:func:`finish_run_if_complete`, by whichever chunk completes the
count): under the run's row lock, when every chunk is done, deletes the scores
the run did not rewrite (customers without a purchase any more) and marks the
run done.

What is guaranteed: a chunk's customers all have the new scores or all keep
their previous ones (one transaction per chunk). A chunk may run twice: it
rewrites the same rows with the same values; a chunk already done is skipped.
When a chunk raises, the run is marked failed with the reason; chunks already
committed keep their new scores, every other customer keeps the previous score,
nothing is deleted, and chunks still queued do nothing. A score is never
replaced by one of an older run.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dangol.core.errors import DomainError
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


class ScoringAlreadyRunning(DomainError):
    """A run is running: another may not start until it finishes, fails or stalls."""

    status = 409
    code = "scoring_running"

    def __init__(self, running: ScoringRun | None):
        self.running_id = running.pk if running is not None else None
        if running is None:
            message = _("Another scoring run is running; wait for it to finish.")
        else:
            message = _("Scoring run %(id)s is still running (started %(started)s); wait "
                        "for it to finish, or resume it if it has stalled.") % {
                "id": running.pk,
                "started": date_format(timezone.localtime(running.started_at),
                                       "Y-m-d H:i")}
        super().__init__(message)


def running_run() -> ScoringRun | None:
    """The run that is running now, if any (there is at most one)."""
    return ScoringRun.objects.filter(status=ScoringRun.Status.RUNNING).first()


def begin_run(*, as_of: datetime | None, started_by: str = "") -> ScoringRun:
    """Record a new running run (committed on its own unless inside a transaction).

    Raises ScoringAlreadyRunning when a run is running: the database allows one.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            return ScoringRun.objects.create(as_of=as_of or now, scored_at=now,
                                             started_by=started_by[:200], heartbeat_at=now)
    except IntegrityError:
        running = running_run()
        if running is None:
            raise
        raise ScoringAlreadyRunning(running) from None


def claim_planning(*, run_id: int) -> ScoringRun | None:
    """Take a queued run for reading and fitting: the run if it is running and has no
    plan yet (its heartbeat renewed), else None (done elsewhere, or stopped)."""
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != ScoringRun.Status.RUNNING or run.mode:
            return None
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["heartbeat_at"])
    return run


def chunk_ranges(customer_ids: np.ndarray, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive key ranges holding ``chunk_size`` of the (sorted) customers each."""
    if customer_ids.shape[0] == 0:
        return []
    starts = customer_ids[::chunk_size].tolist()
    ends = [s - 1 for s in starts[1:]] + [int(customer_ids[-1])]
    return list(zip(starts, ends, strict=True))


def plan_chunks(*, run: ScoringRun, summaries: Summaries, plan: Plan,
                chunk_size: int) -> ScoringRun:
    """Give a running run its plan and chunks; queue one chunk task each after commit.

    Takes the run's row lock; does nothing when the run already has a plan (a
    second worker planned it too) or is no longer running. Segment counts come
    from the global summary (they need only the cut points); the chunks
    recompute everything else.
    """
    values = rfm_values(summaries)
    codes = SEGMENT_GRID[scores_from_cuts(values["R"], plan.cuts["R"]) - 1,
                         scores_from_cuts(values["F"], plan.cuts["F"]) - 1]
    counts = np.bincount(codes, minlength=len(SEGMENT_CODES)).tolist()
    ranges = chunk_ranges(summaries.customer_ids, max(chunk_size, 1))
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ScoringRun.Status.RUNNING or run.mode:
            return run
        run.mode, run.plan, run.chunks = ScoringRun.Mode.CHUNKED, plan.as_json(), len(ranges)
        run.customers = summaries.size
        run.repeat_buyers = int((summaries.purchase_days > 1).sum())
        run.segments = dict(zip(SEGMENT_CODES, counts, strict=True))
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["mode", "plan", "chunks", "customers", "repeat_buyers",
                                "segments", "heartbeat_at"])
        ScoringChunk.objects.bulk_create(
            [ScoringChunk(run=run, first_pk=first, last_pk=last) for first, last in ranges])
        for first, last in ranges:
            enqueue_after_commit(tasks.score_chunk_task, run.pk, first, last)
    if not ranges:
        finish_run_if_complete(run_id=run.pk)
        run.refresh_from_db()
    return run


def claim_chunk(*, run_id: int, first_pk: int, last_pk: int) -> ScoringChunk | None:
    """Claim a chunk of a running run for this worker: status claimed, the lease starts
    now, one more attempt. None when the run is not running or the chunk is done.
    Raises ScoringChunk.DoesNotExist for an unknown chunk."""
    now = timezone.now()
    with transaction.atomic():
        chunk = ScoringChunk.objects.select_related("run").get(
            run_id=run_id, first_pk=first_pk, last_pk=last_pk)
        if chunk.run.status != ScoringRun.Status.RUNNING or chunk.status in {
                ScoringChunk.Status.DONE, ScoringChunk.Status.FAILED}:
            return None
        ScoringChunk.objects.filter(pk=chunk.pk).update(
            status=ScoringChunk.Status.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
        ScoringRun.objects.filter(pk=run_id).update(heartbeat_at=now)
    chunk.refresh_from_db()
    return chunk


def renew_run(*, run_id: int) -> None:
    """The heartbeat of a process reading and fitting a running run."""
    ScoringRun.objects.filter(pk=run_id, status=ScoringRun.Status.RUNNING).update(
        heartbeat_at=timezone.now())


def renew_claim(*, chunk: ScoringChunk) -> None:
    """The heartbeat of a worker scoring ``chunk``: its lease starts again now."""
    now = timezone.now()
    ScoringChunk.objects.filter(pk=chunk.pk, status=ScoringChunk.Status.CLAIMED).update(
        claimed_at=now)
    ScoringRun.objects.filter(pk=chunk.run_id).update(heartbeat_at=now)


def score_chunk(*, run_id: int, first_pk: int, last_pk: int) -> bool:
    """Score customers first_pk..last_pk of a running run; then complete the run if last.

    Effect: claims the chunk, then one transaction upserts the range's scores
    and marks its chunk done. Does nothing (returns False) when the run is no
    longer running or the chunk is already done. Raises ScoringRun.DoesNotExist
    / ScoringChunk.DoesNotExist for unknown ids.
    """
    run = ScoringRun.objects.get(pk=run_id)
    chunk = claim_chunk(run_id=run_id, first_pk=first_pk, last_pk=last_pk)
    if chunk is None:
        return False
    summaries = read_summaries(as_of=run.as_of, first_pk=first_pk, last_pk=last_pk)
    scores = apply_plan(Plan.from_json(run.plan), summaries)
    renew_claim(chunk=chunk)
    now = timezone.now()
    with transaction.atomic():
        write_scores(summaries=summaries, scores=scores, scored_at=run.scored_at)
        ScoringChunk.objects.filter(pk=chunk.pk).update(
            status=ScoringChunk.Status.DONE, customers=summaries.size,
            non_finite_predictions=scores.non_finite(), finished_at=now, error="")
        ScoringRun.objects.filter(pk=run_id).update(heartbeat_at=now)
    finish_run_if_complete(run_id=run_id)
    return True


def finish_run_if_complete(*, run_id: int) -> bool:
    """Complete a running run whose chunks are all done: delete stale scores, mark it done.

    Takes the run's row lock, so exactly one caller completes it; returns
    whether this call did. Saved segments are recounted after commit.
    """
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if run.status != ScoringRun.Status.RUNNING or not run.mode:
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
        count_segments_after_commit()
    return True


def count_segments_after_commit() -> None:
    """Saved segments' cached counts follow new scores: recount them once a run is done."""
    enqueue_after_commit(tasks.refresh_segment_counts_task)


def fail_chunk(*, run_id: int, first_pk: int, last_pk: int, error: str) -> None:
    """Mark a chunk and its run failed with ``error``; the run's other chunks then do nothing."""
    reason = f"customers {first_pk}-{last_pk}: {error}"[:_ERROR_LENGTH]
    with transaction.atomic():
        ScoringChunk.objects.filter(run_id=run_id, first_pk=first_pk, last_pk=last_pk).exclude(
            status=ScoringChunk.Status.DONE).update(
            status=ScoringChunk.Status.FAILED, error=reason, finished_at=timezone.now())
        stop_run(run_id=run_id, status=ScoringRun.Status.FAILED,
                 code=ScoringRun.ErrorCode.CHUNK_ERROR, error=reason)


def stop_run(*, run_id: int, status: str, code: str, error: str) -> bool:
    """Mark a running run failed or stalled with a reason code and details; returns whether
    it was running. Its chunks not done then do nothing until the run is resumed."""
    return bool(ScoringRun.objects.filter(pk=run_id, status=ScoringRun.Status.RUNNING).update(
        status=status, error_code=code, error=error[:_ERROR_LENGTH],
        finished_at=timezone.now()))


def queue_remaining_work(run: ScoringRun) -> int:
    """Queue, after commit, the work of a running run that is not done: its reading and
    fitting when it has no plan yet, else each chunk not done (claims dropped). Returns
    the number of tasks queued. Call holding the run's row lock."""
    if not run.mode:
        enqueue_after_commit(tasks.score_customers_task, run_id=run.pk)
        return 1
    chunks = ScoringChunk.objects.filter(run=run).exclude(status=ScoringChunk.Status.DONE)
    ranges = list(chunks.order_by("first_pk").values_list("first_pk", "last_pk"))
    chunks.update(status=ScoringChunk.Status.PENDING, claimed_at=None)
    for first, last in ranges:
        enqueue_after_commit(tasks.score_chunk_task, run.pk, first, last)
    return len(ranges)


def resume_run(*, run_id: int) -> int:
    """Queue again, after commit, the work of a running, failed or stalled run not done.

    For a run whose messages were lost, whose worker stopped, or that failed
    for a reason since removed: a failed or stalled run becomes running again
    with the same plan and ``scored_at``, its tries counted afresh. Returns the
    number of tasks queued (0 for a finished run); the run completes when they
    are done. Takes the run's row lock. Raises ScoringAlreadyRunning when
    another run is running, ScoringRun.DoesNotExist for an unknown id.
    """
    try:
        with transaction.atomic():
            run = ScoringRun.objects.select_for_update().get(pk=run_id)
            if run.status == ScoringRun.Status.DONE:
                return 0
            if run.status != ScoringRun.Status.RUNNING:
                run.status, run.error, run.error_code = ScoringRun.Status.RUNNING, "", ""
                run.finished_at = None
                run.requeues = 0
                run.heartbeat_at = timezone.now()
                run.save(update_fields=["status", "error", "error_code", "finished_at",
                                        "requeues", "heartbeat_at"])
                ScoringChunk.objects.filter(run=run).exclude(
                    status=ScoringChunk.Status.DONE).update(attempts=0, error="")
            queued = queue_remaining_work(run)
    except IntegrityError:
        raise ScoringAlreadyRunning(running_run()) from None
    if queued == 0:
        finish_run_if_complete(run_id=run_id)
    return queued


def chunks_done(*, run_id: int) -> int:
    """How many chunks of the run have committed their scores."""
    return ScoringChunk.objects.filter(run_id=run_id, status=ScoringChunk.Status.DONE).count()


def idle_since(run: ScoringRun) -> datetime:
    """The last sign of work on a run: its heartbeat, else its start."""
    return run.heartbeat_at or run.started_at

