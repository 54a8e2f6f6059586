"""REST endpoints of journeys, under /api/campaigns/journeys (thin: parse, authorise,
call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.campaigns import journey_selectors as selectors
from dangol.campaigns import journeys as services
from dangol.campaigns.journey_schemas import (
    EntryPage,
    JourneyDetailOut,
    JourneyIn,
    JourneyOut,
    JourneyPage,
)
from dangol.customers.selectors import paginate

router = Router(tags=["journeys"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


class JourneyParams(PageParams):
    trigger: str | None = None
    active: bool | None = None


class EntryParams(PageParams):
    outcome: str | None = Field(None, description="messaged, held_out, capped, blocked, "
                                                  "skipped")


def _detail(journey_id: int) -> dict[str, Any]:
    journey = selectors.get_journey(journey_id)
    data = JourneyOut.model_validate(journey).model_dump()
    data["results"] = selectors.journey_results(journey).as_dict()
    return data


@router.get("", response={200: JourneyPage, 403: ErrorOut, 422: ErrorOut})
def list_journeys(request: HttpRequest, page: Query[JourneyParams]) -> Any:
    """Journeys, newest first, a page at a time."""
    require(actor_from_request(request), "campaigns.view")
    journeys = selectors.list_journeys()
    if page.trigger:
        journeys = journeys.filter(trigger=page.trigger)
    if page.active is not None:
        journeys = journeys.filter(active=page.active)
    return paginate(journeys, cursor=page.cursor, limit=page.limit, newest_first=True)


@router.post("", response={201: JourneyDetailOut, 403: ErrorOut, 422: ErrorOut})
def create_journey(request: HttpRequest, payload: JourneyIn) -> Status[Any]:
    """Create a journey. Bad values are named by field (``purpose``, ``body_ko`` …)."""
    journey = services.save_journey(actor=actor_from_request(request),
                                    values=payload.model_dump())
    return Status(201, _detail(journey.pk))


@router.get("/{int:journey_id}", response={200: JourneyDetailOut, 403: ErrorOut, 404: ErrorOut})
def get_journey(request: HttpRequest, journey_id: int) -> Any:
    """One journey with its results: entries by outcome and reason, conversion of the
    customers messaged against the holdout group (uplift with a 95 % interval)."""
    require(actor_from_request(request), "campaigns.view")
    return _detail(journey_id)


@router.put("/{int:journey_id}", response={200: JourneyDetailOut, 403: ErrorOut, 404: ErrorOut,
                                       422: ErrorOut})
def update_journey(request: HttpRequest, journey_id: int, payload: JourneyIn) -> Any:
    """Replace a journey's settings; later entries follow them."""
    services.save_journey(actor=actor_from_request(request), values=payload.model_dump(),
                          journey_id=journey_id)
    return _detail(journey_id)


@router.delete("/{int:journey_id}", response={204: None, 403: ErrorOut, 404: ErrorOut,
                                          409: ErrorOut})
def delete_journey(request: HttpRequest, journey_id: int) -> Status[None]:
    """Delete a journey that never entered anyone; 409 ``has_entries`` otherwise."""
    services.delete_journey(actor=actor_from_request(request), journey_id=journey_id)
    return Status(204, None)


@router.get("/{int:journey_id}/entries", response={200: EntryPage, 403: ErrorOut, 404: ErrorOut,
                                               422: ErrorOut})
def list_entries(request: HttpRequest, journey_id: int, page: Query[EntryParams]) -> Any:
    """What the journey did for each customer and occasion, newest first."""
    require(actor_from_request(request), "campaigns.view")
    entries = selectors.journey_entries(selectors.get_journey(journey_id))
    if page.outcome:
        entries = entries.filter(outcome=page.outcome)
    return paginate(entries, cursor=page.cursor, limit=page.limit, newest_first=True)
