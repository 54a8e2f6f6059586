"""Writes of the feedback app: text analysis of survey answers, now or in the worker, and
changes to the business's theme taxonomy (see :mod:`dangol.feedback.taxonomy`).

The analysis itself lives in :mod:`dangol.feedback.analysis` (the task calls it
there, so that this module can name the task without an import cycle).
"""

from __future__ import annotations

from dangol.core.transactions import enqueue_after_commit
from dangol.feedback.analysis import (
    BackfillResult,
    analyse_pending_answers,
    analyse_survey_response,
    run_reanalysis,
)
from dangol.feedback.tasks import analyse_pending_task, analyse_response_task
from dangol.feedback.taxonomy import (
    analyse_sample,
    create_theme,
    delete_theme,
    export_document,
    import_taxonomy,
    move_theme,
    reset_taxonomy,
    set_theme_enabled,
    start_reanalysis,
    update_theme,
)

__all__ = [
    "BackfillResult",
    "analyse_pending_answers",
    "analyse_sample",
    "analyse_survey_response",
    "create_theme",
    "delete_theme",
    "export_document",
    "import_taxonomy",
    "move_theme",
    "queue_pending_analysis",
    "queue_response_analysis",
    "reset_taxonomy",
    "run_reanalysis",
    "set_theme_enabled",
    "start_reanalysis",
    "update_theme",
]


def queue_response_analysis(*, response_pk: int) -> None:
    """Analyse a completed response's free-text answers in the worker, after commit.

    Call it inside the transaction that completes the response; nothing is
    queued when that transaction rolls back.
    """
    enqueue_after_commit(analyse_response_task, response_pk)


def queue_pending_analysis(*, chunk_size: int = 500) -> None:
    """Ask the workers to analyse every answer not analysed yet, a task per chunk, after commit."""
    enqueue_after_commit(analyse_pending_task, chunk_size)
