"""REST endpoints of personal-data requests (thin: parse, authorise, call a service)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.core.errors import NotFound
from dangol.customers.selectors import paginate
from dangol.privacy import selectors, services
from dangol.privacy.models import DataRequest, Kind
from dangol.privacy.models import Status as RequestStatus
from dangol.privacy.schemas import (
    CompleteIn,
    DataRequestIn,
    DataRequestOut,
    DataRequestPage,
    RefuseIn,
    VerifyIn,
)

router = Router(tags=["privacy"])
PERMISSION = services.PERMISSION


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class RequestFilters(Schema):
    status: RequestStatus | None = None
    open: bool = Field(False, description="only requests still to be answered")
    kind: Kind | None = None
    customer_id: str | None = Field(None, description="the customer's external ID")
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


def _request(request_pk: int) -> DataRequest:
    data_request = selectors.find_request(request_pk)
    if data_request is None:
        raise NotFound(_("No personal-data request with ID %(id)s.") % {"id": request_pk})
    return data_request


@router.get("/requests", response={200: DataRequestPage, 403: ErrorOut, 422: ErrorOut})
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> Any:
    """Personal-data requests, newest first, a page at a time."""
    require(actor_from_request(request), PERMISSION)
    requests = selectors.list_requests(
        status=filters.status.value if filters.status else "",
        kind=filters.kind.value if filters.kind else "", open_only=filters.open,
        customer_external_id=filters.customer_id or "")
    return paginate(requests, cursor=filters.cursor, limit=filters.limit, newest_first=True)


@router.post("/requests", response={201: DataRequestOut, 403: ErrorOut, 422: ErrorOut})
def create_request(request: HttpRequest, payload: DataRequestIn) -> Status[Any]:
    """Record a request; the reply is due 10 days after it was received."""
    data_request = services.create_request(
        actor=actor_from_request(request), customer=payload.customer, kind=payload.kind.value,
        details=payload.details, received_at=payload.received_at)
    return Status(201, _request(data_request.pk))


@router.get("/requests/{request_id}", response={200: DataRequestOut, 403: ErrorOut,
                                                 404: ErrorOut})
def get_request(request: HttpRequest, request_id: int) -> Any:
    require(actor_from_request(request), PERMISSION)
    return _request(request_id)


@router.post("/requests/{request_id}/verify", response={200: DataRequestOut, 403: ErrorOut,
                                                         404: ErrorOut, 409: ErrorOut,
                                                         422: ErrorOut})
def verify_identity(request: HttpRequest, request_id: int, payload: VerifyIn) -> Any:
    """Record how the requester's identity was verified."""
    services.verify_identity(actor=actor_from_request(request), request_pk=request_id,
                             method=payload.identity_verification)
    return _request(request_id)


@router.post("/requests/{request_id}/export", response={200: dict[str, Any], 403: ErrorOut,
                                                         404: ErrorOut, 409: ErrorOut,
                                                         422: ErrorOut})
def export_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """Everything held about the customer as one JSON document (sections by app); marks an
    access request done. The document is not stored: save the response."""
    data_request, text = services.export_request(actor=actor_from_request(request),
                                                 request_pk=request_id)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{services.document_filename(data_request)}"')
    return response


@router.post("/requests/{request_id}/complete", response={200: DataRequestOut, 403: ErrorOut,
                                                           404: ErrorOut, 409: ErrorOut,
                                                           422: ErrorOut})
def complete_request(request: HttpRequest, request_id: int, payload: CompleteIn) -> Any:
    """Carry out the request: a deletion erases the customer's data across apps, a withdrawal
    withdraws every consent; the others are recorded as done."""
    services.complete_request(actor=actor_from_request(request), request_pk=request_id,
                              result_note=payload.result_note,
                              identity_verification=payload.identity_verification)
    return _request(request_id)


@router.post("/requests/{request_id}/refuse", response={200: DataRequestOut, 403: ErrorOut,
                                                         404: ErrorOut, 409: ErrorOut,
                                                         422: ErrorOut})
def refuse_request(request: HttpRequest, request_id: int, payload: RefuseIn) -> Any:
    """Refuse the request with its reason."""
    services.refuse_request(actor=actor_from_request(request), request_pk=request_id,
                            reason=payload.reason)
    return _request(request_id)
