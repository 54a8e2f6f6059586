"""REST endpoints of webhooks (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.webhooks import events, selectors, services
from dangol.webhooks.schemas import (
    DeliveryFilters,
    DeliveryOut,
    DeliveryPage,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecretOut,
    EventTypeOut,
    ReplayIn,
    ReplayOut,
)

router = Router(tags=["webhooks"])
PERMISSION = services.PERMISSION


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


def _check(request: HttpRequest) -> None:
    require(actor_from_request(request), PERMISSION)


@router.get("/event-types", response=list[EventTypeOut])
def list_event_types(request: HttpRequest) -> Any:
    """Event types an endpoint can subscribe to (besides "*")."""
    _check(request)
    return [{"code": t.code, "label": str(t.label)} for t in events.all_event_types()]


@router.get("/endpoints", response={200: list[EndpointOut], 403: ErrorOut})
def list_endpoints(request: HttpRequest) -> Any:
    _check(request)
    return list(selectors.list_endpoints())


@router.post("/endpoints", response={201: EndpointWithSecretOut, 403: ErrorOut, 422: ErrorOut})
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Status[Any]:
    """Add an endpoint. The response holds its signing secret; store it now."""
    endpoint = services.create_endpoint(actor=actor_from_request(request), url=payload.url,
                                        description=payload.description,
                                        event_types=payload.event_types, active=payload.active)
    return Status(201, endpoint)


@router.get("/endpoints/{endpoint_id}", response={200: EndpointOut, 404: ErrorOut})
def get_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    _check(request)
    return selectors.get_endpoint(endpoint_id=endpoint_id)


@router.patch("/endpoints/{endpoint_id}",
              response={200: EndpointOut, 404: ErrorOut, 422: ErrorOut})
def update_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointPatch) -> Any:
    """Change the given fields; re-enabling sends the deliveries that waited."""
    return services.update_endpoint(actor=actor_from_request(request), endpoint_id=endpoint_id,
                                    **payload.model_dump(exclude_unset=True))


@router.delete("/endpoints/{endpoint_id}", response={204: None, 404: ErrorOut})
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Status[None]:
    services.delete_endpoint(actor=actor_from_request(request), endpoint_id=endpoint_id)
    return Status(204, None)


@router.post("/endpoints/{endpoint_id}/rotate-secret",
             response={200: EndpointWithSecretOut, 404: ErrorOut})
def rotate_secret(request: HttpRequest, endpoint_id: int) -> Any:
    """Replace the signing secret; the response holds the new one."""
    return services.rotate_secret(actor=actor_from_request(request), endpoint_id=endpoint_id)


@router.post("/endpoints/{endpoint_id}/replay",
             response={202: ReplayOut, 404: ErrorOut, 422: ErrorOut})
def replay(request: HttpRequest, endpoint_id: int, payload: ReplayIn) -> Status[dict[str, int]]:
    """Send every event of a type that occurred in [since, until) to this endpoint again.

    Events keep their ids (the webhook-id header): receivers de-duplicate on it.
    """
    result = services.replay(actor=actor_from_request(request), endpoint_id=endpoint_id,
                             event_type=payload.event_type, since=payload.since,
                             until=payload.until)
    return Status(202, {"endpoint_id": endpoint_id,
                        "deliveries_created": result.deliveries_created})


@router.post("/endpoints/{endpoint_id}/test",
             response={202: DeliveryOut, 404: ErrorOut, 409: ErrorOut})
def send_test_event(request: HttpRequest, endpoint_id: int) -> Status[Any]:
    """Send a webhook.test event to this endpoint only."""
    delivery = services.send_test_event(actor=actor_from_request(request),
                                        endpoint_id=endpoint_id)
    return Status(202, selectors.get_delivery(delivery_id=delivery.pk))


@router.get("/deliveries", response={200: DeliveryPage, 422: ErrorOut})
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters]) -> Any:
    """Deliveries, newest first, a page at a time (pass next_cursor back for the next)."""
    _check(request)
    deliveries = selectors.list_deliveries(
        endpoint_id=filters.endpoint_id, status=filters.status or "",
        event_type=filters.event_type, kind=filters.kind or "",
        event_id=str(filters.event_id) if filters.event_id else "",
        since=filters.since, until=filters.until)
    items, next_cursor = selectors.page(deliveries, cursor=filters.cursor, limit=filters.limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/deliveries/{delivery_id}/resend",
             response={202: DeliveryOut, 404: ErrorOut, 409: ErrorOut})
def resend_delivery(request: HttpRequest, delivery_id: int) -> Status[Any]:
    """Send this delivery's event to its endpoint again now (a new delivery, same event id)."""
    delivery = services.resend_delivery(actor=actor_from_request(request),
                                        delivery_id=delivery_id)
    return Status(202, selectors.get_delivery(delivery_id=delivery.pk))


@router.get("/deliveries/{delivery_id}", response={200: DeliveryOut, 404: ErrorOut})
def get_delivery(request: HttpRequest, delivery_id: int) -> Any:
    _check(request)
    return selectors.get_delivery(delivery_id=delivery_id)
