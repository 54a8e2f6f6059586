"""Input and output shapes of the cases API."""

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

from dangol.cases.models import Priority, ResolutionCode, Status
from dangol.engagement.models import Channel


class CaseOut(Schema):
    id: int
    customer_id: str | None
    source: str
    response_id: int | None
    rule_id: int | None
    subject: str
    reason: str
    priority: str
    status: str
    assignee_id: int | None
    assignee: str | None
    due_at: datetime
    overdue: bool
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None
    resolution_code: str
    resolution_note: str
    reopened_count: int
    followup_survey_id: int | None
    followup_at: datetime | None
    followup_sent_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer_id(obj: Any) -> str | None:
        return obj.customer.external_id if obj.customer_id else None

    @staticmethod
    def resolve_assignee(obj: Any) -> str | None:
        return obj.assignee.email if obj.assignee_id else None

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.is_overdue)


class CaseEventOut(Schema):
    at: datetime
    kind: str
    actor: str
    old_value: str
    new_value: str
    detail: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)


class CaseNoteOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author_label)


class CaseDetailOut(CaseOut):
    events: list[CaseEventOut]
    notes: list[CaseNoteOut]

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.order_by("at", "pk"))

    @staticmethod
    def resolve_notes(obj: Any) -> list[Any]:
        return list(obj.notes.order_by("created_at", "pk"))


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CaseIn(BaseModel):
    """A case opened by hand for a customer."""

    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64,
                             description="the customer's external ID")
    subject: str = Field(max_length=200)
    reason: str = Field("", max_length=5000)
    priority: Priority = Priority.NORMAL
    assignee_id: int | None = Field(None, description="a staff member who may work cases")


class CasePatch(BaseModel):
    """Only the fields given change, all together or none.

    ``status`` "resolved" needs ``resolution_code`` (giving only the code resolves);
    "closed" closes a resolved case; "open" reopens a resolved or closed one.
    ``assignee_id`` null unassigns.
    """

    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: int | None = None
    resolution_code: ResolutionCode | None = None
    resolution_note: str = Field("", max_length=5000)
    followup_survey_id: int | None = Field(
        None, description="when resolving: invite the customer to this survey some days later")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=5000)


class ReplyIn(BaseModel):
    """A reply to the case's customer: a transactional message on their channel."""

    model_config = ConfigDict(extra="forbid")
    channel: Channel
    subject: str = Field("", max_length=200, description="required for e-mail")
    body: str = Field(min_length=1, max_length=2000)


class ReplyOut(Schema):
    message_id: int
    channel: str
    status: str
    block_reason: str
