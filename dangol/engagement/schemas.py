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


class MessageIn(Schema):
    """A message to one customer; the law's checks apply as to every message."""

    customer_id: str = Field(..., min_length=1, max_length=64,
                             description="the customer's external ID")
    channel: str = Field(..., description="email, sms or kakao")
    purpose: str = Field(..., description="transactional or ad")
    subject: str = ""
    body: str
    html_body: str | None = None
    language: str | None = None
    source: str = Field("api", max_length=64)
    dedupe_key: str | None = Field(None, max_length=200,
                                   description="sending the same key again returns the first "
                                               "message")


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None
