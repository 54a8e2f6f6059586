"""Input and output shapes of the webhooks API."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BaseModel


class EndpointIn(BaseModel):
    url: str = Field(description="http:// or https:// address that receives the POSTs")
    description: str = ""
    event_types: list[str] = Field(default_factory=lambda: ["*"],
                                   description='Event types to send, or ["*"] for all')
    active: bool = True


class EndpointPatch(BaseModel):
    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None
    active: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    active: bool
    disabled_reason: str
    created_at: datetime
    updated_at: datetime


class EndpointWithSecretOut(EndpointOut):
    secret: str = Field(description="whsec_… signing key; shown only in this response")


class EventTypeOut(Schema):
    code: str
    label: str


class ReplayIn(BaseModel):
    event_type: str = Field("*", description='One event type, or "*" for every type the '
                                             "endpoint receives")
    since: datetime = Field(description="Events that occurred at or after this time")
    until: datetime = Field(description="... and before this time")


class ReplayOut(Schema):
    endpoint_id: int
    deliveries_created: int


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: UUID = Field(alias="event.uid")
    event_type: str = Field(alias="event.type")
    occurred_at: datetime = Field(alias="event.occurred_at")
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryFilters(Schema):
    endpoint_id: int | None = None
    status: Literal["pending", "succeeded", "failed"] | None = None
    event_type: str = ""
    kind: Literal["live", "replay", "test"] | None = None
    event_id: UUID | None = None
    since: datetime | None = Field(None, description="Created at or after")
    until: datetime | None = Field(None, description="Created before")
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)
