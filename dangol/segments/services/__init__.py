"""Writes of the segments app: customer scoring, and saved segments."""

from dangol.segments.services.scoring import ScoringResult, result_of, score_customers
from dangol.segments.services.scoring_leases import ReclaimReport, reclaim_stalled_work
from dangol.segments.services.scoring_plan import (
    SEGMENT_RULES,
    churn_risk_bands,
    quintile_scores,
)
from dangol.segments.services.scoring_requests import resume_scoring, start_scoring
from dangol.segments.services.scoring_runs import (
    ScoringAlreadyRunning,
    chunks_done,
    fail_chunk,
    finish_run_if_complete,
    resume_run,
    score_chunk,
)
from dangol.segments.services.segments import (
    create_segment,
    delete_segment,
    record_export,
    refresh_member_counts,
    update_segment,
)

__all__ = [
    "SEGMENT_RULES",
    "ReclaimReport",
    "ScoringAlreadyRunning",
    "ScoringResult",
    "chunks_done",
    "churn_risk_bands",
    "create_segment",
    "delete_segment",
    "fail_chunk",
    "finish_run_if_complete",
    "quintile_scores",
    "reclaim_stalled_work",
    "record_export",
    "refresh_member_counts",
    "result_of",
    "resume_run",
    "resume_scoring",
    "score_chunk",
    "score_customers",
    "start_scoring",
    "update_segment",
]
