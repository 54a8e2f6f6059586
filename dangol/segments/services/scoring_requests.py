"""Scoring asked for by a person or an API key: start now, or resume a run, with an audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, NotFound
from dangol.core.transactions import enqueue_after_commit
from dangol.segments import tasks
from dangol.segments.models import ScoringRun
from dangol.segments.services.scoring_runs import begin_run, resume_run

RUN_PERMISSION = "segments.run_scoring"


def start_scoring(*, actor: Actor) -> ScoringRun:
    """Record a running run started by ``actor`` and queue it for the workers after commit.

    Writes an audit row (``scoring.start``). Raises PermissionDenied without
    ``segments.run_scoring``, ScoringAlreadyRunning when a run is running.
    """
    require(actor, RUN_PERMISSION)
    with transaction.atomic():
        run = begin_run(as_of=None, started_by=actor.display)
        record_audit(actor=actor, action="scoring.start", obj=run)
        enqueue_after_commit(tasks.score_customers_task, run_id=run.pk)
    return run


def resume_scoring(*, actor: Actor, run_id: int) -> tuple[ScoringRun, int]:
    """Queue again the work of a failed, stalled or running run that is not done.

    Writes an audit row (``scoring.resume``). Returns the run and the number of
    tasks queued. Raises PermissionDenied, NotFound, ScoringAlreadyRunning (another
    run is running), DomainError ``scoring_done`` for a finished run.
    """
    require(actor, RUN_PERMISSION)
    with transaction.atomic():
        run = ScoringRun.objects.filter(pk=run_id).first()
        if run is None:
            raise NotFound(_("No scoring run with ID %(id)s.") % {"id": run_id})
        if run.status == ScoringRun.Status.DONE:
            raise DomainError(_("Scoring run %(id)s is done; there is nothing to resume.")
                              % {"id": run_id}, code="scoring_done", status=409)
        queued = resume_run(run_id=run.pk)
        record_audit(actor=actor, action="scoring.resume", obj=run)
    run.refresh_from_db()
    return run, queued
