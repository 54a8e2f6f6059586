"""REST endpoints of the feedback stream: receive items (one or a batch), list, get.

Mounted under ``/api/feedback/items`` by :mod:`dangol.feedback.api`.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import FieldProblem, ValidationFailed
from dangol.feedback import hub_selectors, items
from dangol.feedback.models import FeedbackItem

router = Router(tags=["feedback"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class ThemeOut(Schema):
    theme: str
    sentiment: str


class ItemOut(Schema):
    id: int
    source: str
    channel: str
    external_id: str
    text: str = Field(description="personal data masked")
    rating: Decimal | None
    rating_scale: int | None
    customer_id: str | None = Field(description="the matched customer's ID")
    product_id: str
    author: str = Field(description="personal data masked")
    url: str
    tags: list[str]
    occurred_at: datetime
    received_at: datetime
    analysed: bool
    language: str | None
    sentiment: str | None
    themes: list[ThemeOut]


class IntakeOut(Schema):
    ids: list[int] = Field(description="the id of each item, in the order sent")
    created: list[bool] = Field(description="false where the item was stored already")


class ItemListOut(Schema):
    items: list[ItemOut]
    page: int
    pages: int
    total: int


class ItemQuery(Schema):
    source: str = ""
    channel: str = ""
    sentiment: str = ""
    theme: str = ""
    q: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = Field(1, ge=1)
    limit: int = Field(50, ge=1, le=200)


def item_out(item: FeedbackItem) -> dict[str, Any]:
    analysis = getattr(item, "analysis", None)
    return {
        "id": item.pk, "source": item.source, "channel": item.channel,
        "external_id": item.external_id, "text": hub_selectors.shown_text(item),
        "rating": item.rating, "rating_scale": item.rating_scale,
        "customer_id": item.customer.external_id if item.customer else None,
        "product_id": item.product_external_id, "author": item.author, "url": item.url,
        "tags": item.tags, "occurred_at": item.occurred_at, "received_at": item.received_at,
        "analysed": analysis is not None,
        "language": analysis.language if analysis else None,
        "sentiment": analysis.sentiment if analysis else None,
        "themes": [{"theme": t.theme, "sentiment": t.sentiment}
                   for t in (analysis.themes.all() if analysis else [])],
    }


_ITEM_SCHEMA = items.FeedbackItemIn.model_json_schema()
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [_ITEM_SCHEMA,
              {"type": "object", "required": ["items"], "properties": {"items": {
                  "type": "array", "minItems": 1, "maxItems": items.MAX_BATCH,
                  "items": _ITEM_SCHEMA}}}]}}}}}


@router.post("", response={200: IntakeOut, 201: IntakeOut, 403: ErrorOut, 422: ErrorOut},
             openapi_extra=_BODY)
def receive_items(request: HttpRequest) -> Status[Any]:
    """Receive one item, or ``{"items": [...]}`` (up to 500). All or nothing: a bad item
    is named by index and field (``items.3.rating``) and nothing is saved. An item sent
    again (same source, channel and external_id) changes nothing and returns its id."""
    actor = actor_from_request(request)
    require(actor, items.ADD)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed([FieldProblem("__all__", _("The body is not JSON."))]) from None
    single = isinstance(body, dict) and "items" not in body
    if single:
        result = items.receive_items(actor=actor, rows=[body],
                                     place=lambda _i, field: field or "__all__")
    elif isinstance(body, dict) and isinstance(body["items"], list):
        result = items.receive_items(actor=actor, rows=body["items"])
    else:
        raise ValidationFailed([FieldProblem(
            "items", _("Send one item as an object, or {\"items\": [...]}."))])
    return Status(201 if result.created_count else 200,
                  {"ids": result.ids, "created": result.created})


@router.get("", response={200: ItemListOut, 403: ErrorOut})
def list_items(request: HttpRequest, filters: Query[ItemQuery]) -> dict[str, Any]:
    """Items newest first, filtered by source, channel, sentiment, theme, text (searched in
    the masked text) and a time range (``since`` inclusive, ``until`` exclusive)."""
    require(actor_from_request(request), items.VIEW)
    spec = hub_selectors.ItemFilter(
        source=filters.source, channel=filters.channel, sentiment=filters.sentiment,
        theme=filters.theme, q=filters.q, since=filters.since, until=filters.until)
    found = hub_selectors.filter_items(spec)
    total = found.count()
    start = (filters.page - 1) * filters.limit
    page = hub_selectors.with_analysis(found)[start:start + filters.limit]
    return {"items": [item_out(i) for i in page], "page": filters.page,
            "pages": max(1, -(-total // filters.limit)), "total": total}


@router.get("/{item_id}", response={200: ItemOut, 403: ErrorOut, 404: ErrorOut})
def get_item(request: HttpRequest, item_id: int) -> dict[str, Any]:
    require(actor_from_request(request), items.VIEW)
    return item_out(hub_selectors.get_item(item_id))
