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
    ScoringResumeOut,
    ScoringRunDetailOut,
    ScoringRunPage,
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


@router.get("/scoring-runs", response=ScoringRunPage)
def list_scoring_runs(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Scoring runs, newest first: status, progress, fitted models, errors and who started
    them."""
    _check_view(request)
    result = customer_selectors.paginate(selectors.list_scoring_runs(), cursor=page.cursor,
                                         limit=page.limit, newest_first=True)
    return {"items": [selectors.scoring_run_facts(run) for run in result.items],
            "next_cursor": result.next_cursor}


@router.post("/scoring-runs", response={202: ScoringRunDetailOut, 403: ErrorOut,
                                        409: ErrorOut})
def start_scoring_run(request: HttpRequest) -> Status[dict[str, Any]]:
    """Score every customer now, on the workers. 409 ``scoring_running`` while a run is
    running. Needs ``segments.run_scoring``."""
    run = services.start_scoring(actor=actor_from_request(request))
    return Status(202, _run_detail(run.pk))


@router.get("/scoring-runs/{run_id}", response={200: ScoringRunDetailOut, 404: ErrorOut})
def get_scoring_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """One scoring run with the state of each of its chunks."""
    _check_view(request)
    return _run_detail(run_id)


@router.post("/scoring-runs/{run_id}/resume",
             response={202: ScoringResumeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def resume_scoring_run(request: HttpRequest, run_id: int) -> Status[dict[str, Any]]:
    """Queue again the work of a failed, stalled or running run that is not done (same plan).
    409 ``scoring_running`` when another run is running, ``scoring_done`` for a finished
    run. Needs ``segments.run_scoring``."""
    run, queued = services.resume_scoring(actor=actor_from_request(request), run_id=run_id)
    return Status(202, {"run": _run_detail(run.pk), "queued": queued})


def _run_detail(run_id: int) -> dict[str, Any]:
    run = selectors.get_scoring_run(run_id)
    return {**selectors.scoring_run_facts(run),
            "chunks": list(selectors.scoring_run_chunks(run))}


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
