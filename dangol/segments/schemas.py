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
