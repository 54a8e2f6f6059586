"""REST endpoints of cases (thin: parse, authorise, call a service or selector)."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from dangol.accounts.actors import actor_from_request
from dangol.accounts.services import require
from dangol.cases import selectors, services
from dangol.cases.models import Priority
from dangol.cases.models import Status as CaseStatus
from dangol.cases.schemas import (
    CaseDetailOut,
    CaseIn,
    CaseNoteOut,
    CaseOut,
    CasePage,
    CasePatch,
    NoteIn,
    ReplyIn,
    ReplyOut,
)
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.customers.models import Customer
from dangol.customers.selectors import paginate

router = Router(tags=["cases"])


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


class CaseFilters(Schema):
    status: CaseStatus | None = Field(None, description="one status; see also active")
    active: bool = Field(False, description="only cases still needing work (new, open, "
                                            "pending)")
    priority: Priority | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool = False
    customer_id: str | None = Field(None, description="the customer's external ID")
    cursor: str | None = Field(None, description="next_cursor from the previous page")
    limit: int = Field(100, ge=1, le=1000)


def _case(case_id: int) -> Any:
    case = selectors.find_case(case_id)
    if case is None:
        raise NotFound(_("No case with ID %(id)s.") % {"id": case_id})
    return case


@router.get("", response={200: CasePage, 403: ErrorOut, 422: ErrorOut})
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    """Cases, newest first, a page at a time."""
    require(actor_from_request(request), "cases.view")
    customer_pk = None
    if filters.customer_id is not None:
        customer_pk = (Customer.objects.filter(external_id=filters.customer_id)
                       .values_list("pk", flat=True).first()) or 0
    cases = selectors.list_cases(selectors.CaseFilters(
        status=filters.status.value if filters.status else ("active" if filters.active else ""),
        priority=filters.priority.value if filters.priority else "",
        assignee=filters.assignee_id, unassigned=filters.unassigned, overdue=filters.overdue,
        customer=customer_pk), now=timezone.now())
    return paginate(cases, cursor=filters.cursor, limit=filters.limit, newest_first=True)


@router.get("/{case_id}", response={200: CaseDetailOut, 403: ErrorOut, 404: ErrorOut})
def get_case(request: HttpRequest, case_id: int) -> Any:
    """One case with its history and internal notes."""
    require(actor_from_request(request), "cases.view")
    return _case(case_id)


@router.post("", response={201: CaseOut, 403: ErrorOut, 422: ErrorOut})
def create_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    """Open a case by hand for a customer; sends the case.created webhook."""
    customer = Customer.objects.filter(external_id=payload.customer_id).first()
    if customer is None:
        raise ValidationFailed([FieldProblem("customer_id", _("No customer with this ID."))],
                               _("No customer with this ID."))
    case = services.open_case(actor=actor_from_request(request), customer_pk=customer.pk,
                              subject=payload.subject, reason=payload.reason,
                              priority=payload.priority.value,
                              assignee_pk=payload.assignee_id)
    return Status(201, _case(case.pk))


@router.patch("/{case_id}", response={200: CaseOut, 403: ErrorOut, 404: ErrorOut,
                                      422: ErrorOut})
def update_case(request: HttpRequest, case_id: int, payload: CasePatch) -> Any:
    """Change status, priority or assignee; resolve with a resolution code."""
    given = payload.model_fields_set
    services.update_case(
        actor=actor_from_request(request), case_pk=case_id,
        status=payload.status.value if payload.status else None,
        priority=payload.priority.value if payload.priority else None,
        assignee_pk=payload.assignee_id,
        unassign="assignee_id" in given and payload.assignee_id is None,
        resolution_code=payload.resolution_code.value if payload.resolution_code else None,
        resolution_note=payload.resolution_note, followup_survey_pk=payload.followup_survey_id)
    return _case(case_id)


@router.post("/{case_id}/notes", response={201: CaseNoteOut, 403: ErrorOut, 404: ErrorOut,
                                           422: ErrorOut})
def add_note(request: HttpRequest, case_id: int, payload: NoteIn) -> Status[Any]:
    """An internal note (never sent to the customer)."""
    note = services.add_note(actor=actor_from_request(request), case_pk=case_id,
                             body=payload.body)
    return Status(201, note)


@router.post("/{case_id}/replies", response={201: ReplyOut, 403: ErrorOut, 404: ErrorOut,
                                             422: ErrorOut})
def reply(request: HttpRequest, case_id: int, payload: ReplyIn) -> Status[Any]:
    """Reply to the case's customer over e-mail, SMS or KakaoTalk (a transactional message,
    sent after commit; ``status`` is ``blocked`` with a reason when it cannot be sent)."""
    message = services.reply_to_customer(actor=actor_from_request(request), case_pk=case_id,
                                         channel=payload.channel.value,
                                         subject=payload.subject, body=payload.body)
    return Status(201, {"message_id": message.pk, "channel": message.channel,
                        "status": message.status, "block_reason": message.block_reason})
