"""API shapes of campaigns."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class CampaignIn(Schema):
    name: str
    segment_id: int
    channel: str = Field("email", description="email, sms or kakao")
    purpose: str = Field("ad", description="ad (advertising law applies) or information")
    subject: str = Field("", description="E-mail only; placeholders allowed")
    body: str = Field(..., description="Placeholders: {{name}}, {{tier}}, {{points}}, "
                                       "{{region}}, {{customer_id}}")
    brand_id: int | None = None
    holdout_percent: int = Field(0, description="0-90: share held out at random")
    conversion_days: int = Field(7, description="An order within this many days converts")
    weight: int = Field(1, description="A/B test: version A's weight (1-100); version A is "
                                       "this campaign's own subject and body")
    variants: list["VariantIn"] = Field(
        default_factory=list, description="A/B test: the other versions B, C, D (1 to 3); "
                                          "empty: one message for everyone")


class VariantIn(Schema):
    subject: str = Field("", description="E-mail only; placeholders allowed")
    body: str
    weight: int = Field(1, description="1-100: the share of customers is weight / total")


class VariantOut(Schema):
    label: str
    subject: str
    body: str
    weight: int


class ScheduleIn(Schema):
    send_at: datetime | None = Field(None, description="Empty or past: send now")


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int | None
    segment_name: str
    channel: str
    purpose: str
    subject: str
    body: str
    brand_id: int | None
    holdout_percent: int
    conversion_days: int
    status: str
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class CampaignDetailOut(CampaignOut):
    variants: list[VariantOut]
    results: dict[str, Any]


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None
