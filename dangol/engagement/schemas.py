"""API shapes of engagement."""

from datetime import datetime

from ninja import Field, Schema


class MessageEventOut(Schema):
    status: str
    at: datetime
    detail: str


class MessageOut(Schema):
    id: int
    customer_id: str = Field(..., alias="customer.external_id")
    channel: str
    purpose: str
    language: str
    subject: str
    body: str
    to_address: str
    source: str
    dedupe_key: str | None
    status: str
    block_reason: str
    error: str
    provider_message_id: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    created_at: datetime


class MessageDetailOut(MessageOut):
    events: list[MessageEventOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None
