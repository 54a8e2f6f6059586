"""The stalled-run check: work of a scoring run that a worker dropped is queued again.

A worker claims a chunk when it starts it and renews the claim while it works
(``ScoringChunk.claimed_at``); every claim, renewal and finished chunk is also
a sign of work on the run (``ScoringRun.heartbeat_at``). A worker that dies
(killed, out of memory, machine lost) renews nothing, and with the embedded
file queue its message is gone. So, every few minutes (Celery beat),
:func:`reclaim_stalled_work`:

1. puts back in the queue each chunk whose claim is older than the lease
   (``settings.SCORING_LEASE_SECONDS``); a chunk whose worker stopped
   ``settings.SCORING_MAX_ATTEMPTS`` times fails the run (reason
   ``worker_lost``), since it is likely the chunk that stops the worker;
2. queues again all remaining work (reading and fitting, or the chunks not
   done) of a running run with no sign of work for longer than the lease and
   no live claim: its messages were lost, or no worker is running. After
   ``SCORING_MAX_ATTEMPTS`` such tries without progress the run is marked
   stalled (reason ``no_worker``).

A failed or stalled run no longer blocks new runs and can be resumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangol.core.transactions import enqueue_after_commit
from dangol.segments import tasks
from dangol.segments.models import ScoringChunk, ScoringRun
from dangol.segments.services.scoring_runs import idle_since, queue_remaining_work, stop_run


def lease() -> timedelta:
    """How long a claim (or a run) lasts without a sign of work."""
    return timedelta(seconds=settings.SCORING_LEASE_SECONDS)


def max_attempts() -> int:
    return max(int(settings.SCORING_MAX_ATTEMPTS), 1)


@dataclass
class ReclaimReport:
    """What one check did: chunks and runs queued again, runs failed or stalled."""

    chunks_requeued: list[int] = field(default_factory=list)
    runs_requeued: list[int] = field(default_factory=list)
    runs_failed: list[int] = field(default_factory=list)
    runs_stalled: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"chunks_requeued": self.chunks_requeued, "runs_requeued": self.runs_requeued,
                "runs_failed": self.runs_failed, "runs_stalled": self.runs_stalled}


def reclaim_stalled_work(*, now: datetime | None = None) -> ReclaimReport:
    """Queue again the expired work of every running run; fail or stall a run after
    repeated tries (see the module). Safe to run twice and beside working workers: a
    chunk queued twice is scored once. Takes each run's row lock in turn."""
    now = now or timezone.now()
    report = ReclaimReport()
    running = ScoringRun.objects.filter(status=ScoringRun.Status.RUNNING)
    for run_id in running.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            run = ScoringRun.objects.select_for_update().get(pk=run_id)
            if run.status == ScoringRun.Status.RUNNING:
                _reclaim_run(run, now, report)
    return report


def _reclaim_run(run: ScoringRun, now: datetime, report: ReclaimReport) -> None:
    """Call holding the run's row lock."""
    cutoff = now - lease()
    claims = ScoringChunk.objects.filter(run=run, status=ScoringChunk.Status.CLAIMED)
    expired = list(claims.filter(claimed_at__lt=cutoff).order_by("first_pk"))
    for chunk in expired:
        if chunk.attempts >= max_attempts():
            _fail_lost_chunk(run, chunk, now)
            report.runs_failed.append(run.pk)
            return
    for chunk in expired:
        ScoringChunk.objects.filter(pk=chunk.pk).update(status=ScoringChunk.Status.PENDING,
                                                        claimed_at=None)
        enqueue_after_commit(tasks.score_chunk_task, run.pk, chunk.first_pk, chunk.last_pk)
        report.chunks_requeued.append(chunk.pk)
    if expired:
        ScoringRun.objects.filter(pk=run.pk).update(heartbeat_at=now)
        return
    if idle_since(run) >= cutoff or claims.exists():
        return
    if run.requeues >= max_attempts():
        minutes = int((now - idle_since(run)).total_seconds() // 60)
        stop_run(run_id=run.pk, status=ScoringRun.Status.STALLED,
                 code=ScoringRun.ErrorCode.NO_WORKER,
                 error=f"no sign of work for {minutes} minutes after being queued again "
                       f"{run.requeues} times")
        report.runs_stalled.append(run.pk)
        return
    queue_remaining_work(run)
    ScoringRun.objects.filter(pk=run.pk).update(heartbeat_at=now, requeues=run.requeues + 1)
    report.runs_requeued.append(run.pk)


def _fail_lost_chunk(run: ScoringRun, chunk: ScoringChunk, now: datetime) -> None:
    claimed = chunk.claimed_at.isoformat(timespec="seconds") if chunk.claimed_at else "?"
    error = (f"customers {chunk.first_pk}-{chunk.last_pk}: the worker stopped without "
             f"finishing {chunk.attempts} times (last claimed {claimed}, lease "
             f"{settings.SCORING_LEASE_SECONDS} s)")
    ScoringChunk.objects.filter(pk=chunk.pk).update(status=ScoringChunk.Status.FAILED,
                                                    error=error, finished_at=now)
    stop_run(run_id=run.pk, status=ScoringRun.Status.FAILED,
             code=ScoringRun.ErrorCode.WORKER_LOST, error=error)
