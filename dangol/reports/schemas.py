"""Input and output shapes of the reports API."""

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from dangol.reports.models import Section


class ScheduleIn(Schema):
    name: str = Field(..., max_length=200)
    sections: list[str] = Field(default_factory=lambda: list(Section.values),
                                description="any of: " + ", ".join(Section.values))
    survey_id: int | None = Field(None, description="only this survey's answers; "
                                                    "default: every survey")
    frequency: str = Field(..., description="daily, weekly or monthly")
    weekday: int | None = Field(None, description="weekly: 0 = Monday … 6 = Sunday")
    day_of_month: int | None = Field(None, description="monthly: 1-31 (31: the last day)")
    hour: int = Field(9, description="hour of the day (0-23) in the business time zone")
    language: str = Field("ko", description="ko or en")
    recipients: list[str] = Field(..., description="e-mail addresses")
    active: bool = True


class SchedulePatch(Schema):
    name: str | None = Field(None, max_length=200)
    sections: list[str] | None = None
    survey_id: int | None = None
    frequency: str | None = None
    weekday: int | None = None
    day_of_month: int | None = None
    hour: int | None = None
    language: str | None = None
    recipients: list[str] | None = None
    active: bool | None = None


class ScheduleOut(Schema):
    id: int
    name: str
    sections: list[str]
    survey_id: int | None
    frequency: str
    weekday: int | None
    day_of_month: int | None
    hour: int
    language: str
    recipients: list[str]
    active: bool
    owner: str | None
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return obj.owner.email if obj.owner_id else None


class RunOut(Schema):
    id: int
    schedule_id: int
    trigger: str
    period_start: date
    period_end: date = Field(..., description="exclusive")
    status: str
    attempts: int
    next_attempt_at: datetime | None
    pdf_size: int
    error: str
    message_ids: dict[str, str]
    headline: dict[str, Any] = Field(..., description="NPS, responses, CSAT and cases figures "
                                                      "of the report")
    sent_at: datetime | None
    created_at: datetime
