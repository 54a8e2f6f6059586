"""REST endpoints of engagement (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.customers.selectors import paginate
from dangol.engagement import selectors, services
from dangol.engagement.models import Channel
from dangol.engagement.models import Status as MessageStatus
from dangol.engagement.schemas import MessageDetailOut, MessageIn, MessageOut, MessagePage

router = Router(tags=["engagement"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class MessageFilters(Schema):
    channel: Channel | None = None
    status: MessageStatus | None = None
    source: str = ""
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


@router.get("/messages", response={200: MessagePage, 422: ErrorOut})
def list_messages(request: HttpRequest, filters: Query[MessageFilters]) -> Any:
    """Messages to customers, newest first, a page at a time."""
    require(actor_from_request(request), "engagement.view")
    messages = selectors.list_messages(
        channel=filters.channel.value if filters.channel else "",
        status=filters.status.value if filters.status else "", source=filters.source)
    return paginate(messages, cursor=filters.cursor, limit=filters.limit, newest_first=True)


@router.get("/messages/{message_id}", response={200: MessageDetailOut, 404: ErrorOut})
def get_message(request: HttpRequest, message_id: int) -> Any:
    """One message with its status history."""
    require(actor_from_request(request), "engagement.view")
    message = selectors.find_message(message_id)
    if message is None:
        raise NotFound("No such message.")
    return message


@router.post("/messages", response={200: MessageOut, 201: MessageOut, 403: ErrorOut,
                                    404: ErrorOut, 422: ErrorOut})
def send_message(request: HttpRequest, payload: MessageIn) -> Status[Any]:
    """Queue a message to a customer; 201 when new, 200 when ``dedupe_key`` was sent before.

    A message the law forbids is stored with status ``blocked`` and a ``block_reason``.
    """
    created, message = services.send_message(
        actor=actor_from_request(request), customer_external_id=payload.customer_id,
        channel=payload.channel, purpose=payload.purpose, subject=payload.subject,
        body=payload.body, html_body=payload.html_body, language=payload.language,
        source=payload.source, dedupe_key=payload.dedupe_key)
    return Status(201 if created else 200, message)
