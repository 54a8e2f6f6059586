"""Writes of the segments app: customer scoring, and saved segments."""

from dangol.segments.services.scoring import (
    SEGMENT_RULES,
    ScoringResult,
    churn_risk_bands,
    quintile_scores,
    score_customers,
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
    "ScoringResult",
    "churn_risk_bands",
    "create_segment",
    "delete_segment",
    "quintile_scores",
    "record_export",
    "refresh_member_counts",
    "score_customers",
    "update_segment",
]
