"""Input and output shapes of the segments API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field


class DefinitionIn(BaseModel):
    """Rules: ``{"match": "all"|"any", "rules": [{"field", "op", "value"} | group]}``.

    Each rule is checked by the segment rule language; problems are named by
    position (``rules.2.value``).
    """

    model_config = ConfigDict(extra="forbid")
    match: Literal["all", "any"] = "all"
    rules: list[Any] = Field(default_factory=list)


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    description: str = Field("", max_length=2000)
    definition: DefinitionIn


class SegmentPatch(BaseModel):
    """Only the fields given are changed."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=2000)
    definition: DefinitionIn | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: dict[str, Any]
    member_count: int | None
    counted_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_created_by(obj: Any) -> str | None:
        return obj.created_by.email if obj.created_by_id else None


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class PreviewOut(Schema):
    count: int


class MemberOut(Schema):
    external_id: str
    name: str
    email: str
    phone: str
    region: str
    language: str
    birthday: date | None
    joined_at: datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class ScoreOut(Schema):
    external_id: str
    rfm_segment: str
    R: int
    F: int
    M: int
    order_count: int
    total_spent: Decimal
    monetary: Decimal
    last_order_at: datetime
    frequency: int
    recency_days: float
    T_days: float
    expected_purchases_90d: float | None
    p_alive: float | None
    predicted_value_12m: Decimal | None
    churn_risk: str
    scored_at: datetime
    explanation: str


class ChoiceOut(Schema):
    value: str
    label: str


class FieldOut(Schema):
    """One field a rule may test, with its operators and (when fixed) its values."""

    field: str
    label: str
    group: str
    kind: str
    ops: list[str]
    choices: list[ChoiceOut]
    help: str


class ScoringChunkOut(Schema):
    first_pk: int
    last_pk: int
    status: str
    attempts: int
    customers: int
    claimed_at: datetime | None
    finished_at: datetime | None
    error: str


class ScoringRunOut(Schema):
    """A scoring run. ``purchase_model`` / ``spend_model`` hold the fitted BG/NBD and
    Gamma-Gamma parameters, their standard errors and log-likelihood (null when not
    fitted: the ``*_skipped_reason`` says why). ``error_code`` is stable
    (``chunk_error``, ``run_error``, ``worker_lost``, ``no_worker``,
    ``interrupted``); ``explanation`` says what happened and what to do, in the request's
    language; ``error`` holds the details."""

    id: int
    status: str
    mode: str
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float
    as_of: datetime
    customers_scored: int
    repeat_buyers: int
    chunks_total: int
    chunks_done: int
    requeues: int
    heartbeat_at: datetime | None
    idle_seconds: float | None
    segments: dict[str, int]
    scores_deleted: int
    non_finite_predictions: int
    purchase_model: dict[str, Any] | None
    spend_model: dict[str, Any] | None
    prediction_skipped_reason: str | None
    value_skipped_reason: str | None
    error_code: str
    error: str
    explanation: str


class ScoringRunDetailOut(ScoringRunOut):
    chunks: list[ScoringChunkOut]


class ScoringRunPage(Schema):
    items: list[ScoringRunOut]
    next_cursor: str | None


class ScoringResumeOut(Schema):
    run: ScoringRunOut
    queued: int
