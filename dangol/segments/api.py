"""REST endpoints for saved segments and customer scores (thin: parse, authorise, call)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.customers import selectors as customer_selectors
from dangol.segments import selectors, services
from dangol.segments.rules import FIELDS
from dangol.segments.schemas import (
    DefinitionIn,
    FieldOut,
    MemberPage,
    PreviewOut,
    ScoreOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
)

router = Router(tags=["segments"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


def _check_view(request: HttpRequest) -> None:
    require(actor_from_request(request), "segments.view")


@router.get("", response=SegmentPage)
def list_segments(request: HttpRequest, page: Query[PageParams]) -> Any:
    """Saved segments in ID order with their cached member counts."""
    _check_view(request)
    return customer_selectors.paginate(selectors.list_segments(), cursor=page.cursor,
                                       limit=page.limit)


@router.post("", response={201: SegmentOut, 422: ErrorOut})
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status[Any]:
    """Save a segment. Bad rules are named by position: ``definition.rules.2.value``."""
    segment = services.create_segment(actor=actor_from_request(request), name=payload.name,
                                      description=payload.description,
                                      definition=payload.definition.model_dump())
    return Status(201, selectors.get_segment(segment.pk))


@router.get("/fields", response=list[FieldOut])
def list_fields(request: HttpRequest) -> list[dict[str, Any]]:
    """What a rule may test: each field's operators and fixed values, in the active language.

    ``neq`` and ``not_in`` also match customers who have no value for the field.
    """
    _check_view(request)
    return [{"field": spec.name, "label": str(spec.label), "group": str(spec.group),
             "kind": spec.kind.value, "ops": list(spec.ops),
             "choices": [{"value": v, "label": str(label)} for v, label in spec.choices],
             "help": str(spec.help)} for spec in FIELDS.values()]


@router.post("/preview", response={200: PreviewOut, 422: ErrorOut})
def preview(request: HttpRequest, payload: DefinitionIn) -> dict[str, int]:
    """How many customers these rules select right now (nothing is saved)."""
    _check_view(request)
    return {"count": selectors.count_preview(payload.model_dump())}


@router.get("/scores/{external_id}", response={200: ScoreOut, 404: ErrorOut})
def get_score(request: HttpRequest, external_id: str) -> dict[str, Any]:
    """The customer's RFM scores, predictions and churn risk, with a plain-language line."""
    _check_view(request)
    customer = customer_selectors.get_customer(external_id=external_id)
    score = selectors.find_score(customer.pk)
    if score is None:
        raise NotFound(_("This customer has not been scored yet."), code="not_scored")
    fields = {f.name: getattr(score, f.name) for f in score._meta.concrete_fields
              if f.name not in {"id", "customer"}}
    return {**fields, "external_id": customer.external_id,
            "explanation": selectors.explain_score(score)}


@router.get("/{segment_id}", response={200: SegmentOut, 404: ErrorOut})
def get_segment(request: HttpRequest, segment_id: int) -> Any:
    _check_view(request)
    return selectors.get_segment(segment_id)


@router.patch("/{segment_id}", response={200: SegmentOut, 404: ErrorOut, 422: ErrorOut})
def update_segment(request: HttpRequest, segment_id: int, payload: SegmentPatch) -> Any:
    """Change the fields given; the member count is recounted."""
    segment = services.update_segment(
        actor=actor_from_request(request), segment_id=segment_id, name=payload.name,
        description=payload.description,
        definition=payload.definition.model_dump() if payload.definition else None)
    return selectors.get_segment(segment.pk)


@router.delete("/{segment_id}", response={204: None, 404: ErrorOut})
def delete_segment(request: HttpRequest, segment_id: int) -> Status[None]:
    services.delete_segment(actor=actor_from_request(request), segment_id=segment_id)
    return Status(204, None)


@router.get("/{segment_id}/customers", response={200: MemberPage, 404: ErrorOut})
def segment_customers(request: HttpRequest, segment_id: int, page: Query[PageParams]) -> Any:
    """The segment's members now, in ID order, a page at a time (pass next_cursor back)."""
    actor = actor_from_request(request)
    require(actor, "segments.view")
    require(actor, "customers.view")
    customers = selectors.segment_customers(selectors.get_segment(segment_id))
    return customer_selectors.paginate(customers, cursor=page.cursor, limit=page.limit)
