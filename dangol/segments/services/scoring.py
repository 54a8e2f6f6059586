"""Scoring: RFM quintiles, named RFM segments, BG/NBD and Gamma-Gamma predictions.

A run reads every customer's purchase summary column-wise
(:mod:`~dangol.segments.services.summaries`), fits the models on the whole
population and fixes the quintile cut points (the *plan*,
:mod:`~dangol.segments.services.scoring_plan`), then writes the scores either
in this process, in one transaction, or in chunks of customer keys that the
Celery workers share (:mod:`~dangol.segments.services.scoring_runs`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from dangol.segments.models import RFMSegment, ScoringRun
from dangol.segments.services import scoring_runs
from dangol.segments.services.score_writes import delete_scores_before, write_scores
from dangol.segments.services.scoring_plan import Plan, apply_plan, fit_plan
from dangol.segments.services.summaries import Summaries, read_summaries

# Customers per chunk when a run is split over the workers.
CHUNK_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class ScoringResult:
    """What a scoring run did (or, for a run queued in chunks, will do).

    ``prediction_skipped_reason`` / ``value_skipped_reason`` say why the
    BG/NBD predictions / the 12-month value were left null (``None`` when they
    were computed). ``status`` is the run's: ``done`` for a run in this
    process, ``running`` for a run whose chunks are queued.
    """

    run_id: int
    status: str
    as_of: datetime
    customers_scored: int
    repeat_buyers: int
    scores_deleted: int
    chunks: int = 0
    segments: dict[str, int] = field(default_factory=dict)
    purchase_model: dict[str, Any] | None = None
    spend_model: dict[str, Any] | None = None
    prediction_skipped_reason: str | None = None
    value_skipped_reason: str | None = None
    non_finite_predictions: int = 0
    seconds: float = 0.0


def score_customers(
    *, as_of: datetime | None = None, split: bool | None = None, chunk_size: int = CHUNK_SIZE,
    run_id: int | None = None, started_by: str = "",
) -> ScoringResult:
    """Score every customer with a purchase up to ``as_of`` (default: now).

    Effect: records a :class:`ScoringRun` (or, with ``run_id``, carries out
    that queued run, as of its own ``as_of``), upserts one
    :class:`CustomerScore` per customer with at least one placed order
    (cancelled and refunded orders do not count) and deletes the scores of
    customers who no longer have one. Running it twice gives the same rows with
    refreshed values. Purchase days are counted in the business time zone; the
    models are fitted in weeks on the whole population.

    ``split=False`` writes everything in this process in one transaction.
    ``split=True`` queues one task per ``chunk_size`` customers (after commit)
    and returns at once with status ``running``; each chunk commits on its
    own, and the last one to finish completes the run. ``split=None`` splits
    only when there is more than one chunk and tasks are not run eagerly.

    When the population has too few repeat buyers, or a model does not
    converge, the predictions (and/or the 12-month value) are left null and
    the result says why; RFM scores and segments are always written. Raises
    ScoringAlreadyRunning when another run is running. Any other error (or an
    interruption) marks the run failed with the reason, then propagates; this
    process's writes are rolled back. A queued run that is no longer waiting
    for its plan (done elsewhere, or stopped) is left as it is.
    """
    clock = time.perf_counter()
    if run_id is None:
        run = scoring_runs.begin_run(as_of=as_of, started_by=started_by)
    else:
        claimed = scoring_runs.claim_planning(run_id=run_id)
        if claimed is None:
            return result_of(ScoringRun.objects.get(pk=run_id))
        run = claimed
    try:
        summaries = read_summaries(as_of=run.as_of)
        scoring_runs.renew_run(run_id=run.pk)
        plan = fit_plan(summaries)
        scoring_runs.renew_run(run_id=run.pk)
        if split is None:
            split = summaries.size > chunk_size and not current_app.conf.task_always_eager
        if split:
            run = scoring_runs.plan_chunks(run=run, summaries=summaries, plan=plan,
                                           chunk_size=chunk_size)
        else:
            run = _write_in_process(run=run, summaries=summaries, plan=plan)
    except BaseException as exc:
        code = (ScoringRun.ErrorCode.RUN_ERROR if isinstance(exc, Exception)
                else ScoringRun.ErrorCode.INTERRUPTED)
        scoring_runs.stop_run(run_id=run.pk, status=ScoringRun.Status.FAILED, code=code,
                              error=f"{type(exc).__name__}: {exc}")
        raise
    return result_of(run, seconds=time.perf_counter() - clock)


def _write_in_process(*, run: ScoringRun, summaries: Summaries, plan: Plan) -> ScoringRun:
    """Write every score of a running run in one transaction and mark it done.

    Takes the run's row lock first; leaves a run that is no longer waiting for
    its plan as it is. Saved segments are recounted after commit.
    """
    scores = apply_plan(plan, summaries)
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ScoringRun.Status.RUNNING or run.mode:
            return run
        write_scores(summaries=summaries, scores=scores, scored_at=run.scored_at)
        run.mode, run.plan = ScoringRun.Mode.IN_PROCESS, plan.as_json()
        run.customers = summaries.size
        run.repeat_buyers = int((summaries.purchase_days > 1).sum())
        run.segments = scores.segment_counts()
        run.non_finite_predictions = scores.non_finite()
        # Every row written above carries this run's scored_at; older rows
        # belong to customers without a purchase any more.
        run.scores_deleted = delete_scores_before(scored_at=run.scored_at)
        run.status = ScoringRun.Status.DONE
        run.finished_at = run.heartbeat_at = timezone.now()
        run.save()
        scoring_runs.count_segments_after_commit()
    return run


def result_of(run: ScoringRun, *, seconds: float = 0.0) -> ScoringResult:
    """The :class:`ScoringResult` of a recorded run."""
    plan = run.plan or {}
    return ScoringResult(
        run_id=run.pk,
        status=run.status,
        as_of=run.as_of,
        customers_scored=run.customers,
        repeat_buyers=run.repeat_buyers,
        scores_deleted=run.scores_deleted,
        chunks=run.chunks,
        segments={segment.value: int(run.segments.get(segment.value, 0))
                  for segment in RFMSegment},
        purchase_model=plan.get("purchase_model"),
        spend_model=plan.get("spend_model"),
        prediction_skipped_reason=plan.get("prediction_skipped_reason"),
        value_skipped_reason=plan.get("value_skipped_reason"),
        non_finite_predictions=run.non_finite_predictions,
        seconds=seconds,
    )
