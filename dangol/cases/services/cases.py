"""Staff work on cases: open by hand, assign, change status or priority, note, resolve,
close and reopen.

Each function checks the actor's permission, takes the case's row lock, makes
one complete change with its history row and audit row, and raises
PermissionDenied, NotFound or ValidationFailed (naming the field) without
changing anything.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.models import User
from dangol.accounts.services import record_audit, require
from dangol.cases import sla
from dangol.cases.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseNote,
    EventKind,
    Priority,
    ResolutionCode,
    Source,
    Status,
)
from dangol.cases.services.events import publish_created, publish_resolved, record_event
from dangol.core.errors import FieldProblem, NotFound, ValidationFailed
from dangol.customers.models import Customer
from dangol.surveys.models import Survey

WORK = "cases.work"
#: Days after resolving a case opened by hand that its follow-up survey is sent.
FOLLOWUP_DAYS = 7
MAX_SUBJECT = 200
MAX_TEXT = 5000

#: Where a status may go by ``change_status``; resolving, closing and reopening have
#: their own functions because they need more than a status.
MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING}),
    Status.OPEN: frozenset({Status.PENDING}),
    Status.PENDING: frozenset({Status.OPEN}),
    Status.RESOLVED: frozenset(),
    Status.CLOSED: frozenset(),
}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, message)], message)


def _lock(case_pk: int) -> Case:
    """The case, locked for the rest of the transaction; NotFound when there is none."""
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("customer", "assignee", "rule").filter(pk=case_pk).first())
    if case is None:
        raise NotFound(_("No case with ID %(id)s.") % {"id": case_pk})
    return case


def check_priority(priority: str) -> str:
    if priority not in Priority.values:
        raise _invalid("priority", _("Choose a priority: %(choices)s.")
                       % {"choices": ", ".join(Priority.values)})
    return priority


def find_assignee(assignee_pk: int | None, *, field: str = "assignee") -> User | None:
    """The active staff member who may work cases, or None for "nobody";
    ValidationFailed naming ``field`` otherwise."""
    if assignee_pk is None:
        return None
    user = User.objects.filter(pk=assignee_pk, is_active=True).first()
    if user is None:
        raise _invalid(field, _("No active staff member with ID %(id)s.") % {"id": assignee_pk})
    if not user.has_perm(WORK):
        raise _invalid(field, _("%(user)s may not work cases (their role lacks %(perm)s).")
                       % {"user": user, "perm": WORK})
    return user


def _clean_text(value: str, field: str, *, required: bool, limit: int) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _invalid(field, _("This field is required."))
    if len(text) > limit:
        raise _invalid(field, _("At most %(n)d characters.") % {"n": limit})
    if "\x00" in text:
        raise _invalid(field, _("Remove the NUL character."))
    return text


def _mark_first_response(case: Case, now: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = now


def open_case(*, actor: Actor, customer_pk: int, subject: str, reason: str = "",
              priority: str = Priority.NORMAL, assignee_pk: int | None = None) -> Case:
    """Open a case by hand for a customer (a phone complaint, an e-mail, a visit).

    Publishes ``case.created`` with the case. Raises PermissionDenied,
    ValidationFailed naming ``customer``, ``subject``, ``reason``, ``priority``
    or ``assignee``.
    """
    require(actor, WORK)
    subject = _clean_text(subject, "subject", required=True, limit=MAX_SUBJECT)
    reason = _clean_text(reason, "reason", required=False, limit=MAX_TEXT)
    check_priority(priority)
    customer = Customer.objects.filter(pk=customer_pk).first()
    if customer is None:
        raise _invalid("customer", _("No such customer."))
    assignee = find_assignee(assignee_pk)
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            customer=customer, source=Source.MANUAL, subject=subject, reason=reason,
            priority=priority, assignee=assignee, due_at=sla.due_at(priority, now),
            created_by=actor.user)
        record_event(case, kind=EventKind.CREATED, actor=actor, new=Status.NEW,
                     detail=subject)
        if assignee is not None:
            record_event(case, kind=EventKind.ASSIGNED, actor=actor, new=assignee.email)
        record_audit(actor=actor, action="create", obj=case,
                     fields=["customer", "subject", "reason", "priority", "assignee"])
        publish_created(case)
    return case


def assign_case(*, actor: Actor, case_pk: int, assignee_pk: int | None) -> Case:
    """Give the case to a staff member (None: to nobody). Nothing is written when
    the assignee does not change."""
    require(actor, WORK)
    assignee = find_assignee(assignee_pk)
    with transaction.atomic():
        case = _lock(case_pk)
        if case.assignee_id == (assignee.pk if assignee else None):
            return case
        old = case.assignee.email if case.assignee else ""
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        record_event(case, kind=EventKind.ASSIGNED, actor=actor, old=old,
                     new=assignee.email if assignee else "")
        record_audit(actor=actor, action="update", obj=case, fields=["assignee"])
    return case


def change_priority(*, actor: Actor, case_pk: int, priority: str) -> Case:
    """Change the priority; an open case's due time moves by the difference of the SLAs."""
    require(actor, WORK)
    check_priority(priority)
    with transaction.atomic():
        case = _lock(case_pk)
        if case.priority == priority:
            return case
        old = case.priority
        fields = ["priority", "updated_at"]
        if case.is_open:
            case.due_at += sla.due_at(priority, case.due_at) - sla.due_at(old, case.due_at)
            if case.due_at > timezone.now():
                case.escalated_at = None
            fields += ["due_at", "escalated_at"]
        case.priority = priority
        case.save(update_fields=fields)
        record_event(case, kind=EventKind.PRIORITY, actor=actor, old=old, new=priority)
        record_audit(actor=actor, action="update", obj=case, fields=["priority"])
    return case


def change_status(*, actor: Actor, case_pk: int, status: str) -> Case:
    """Move an open case between new, open and pending.

    Resolve with ``resolve_case``, close with ``close_case`` and reopen with
    ``reopen_case``. Raises ValidationFailed naming ``status`` for any other move.
    """
    require(actor, WORK)
    if status not in Status.values:
        raise _invalid("status", _("Choose a status: %(choices)s.")
                       % {"choices": ", ".join(Status.values)})
    with transaction.atomic():
        case = _lock(case_pk)
        if case.status == status:
            return case
        if status not in MOVES[case.status]:
            raise _invalid("status", _("A case that is %(old)s cannot become %(new)s here.")
                           % {"old": case.get_status_display(), "new": Status(status).label})
        old = case.status
        now = timezone.now()
        _mark_first_response(case, now)
        case.status = status
        case.save(update_fields=["status", "first_response_at", "updated_at"])
        record_event(case, kind=EventKind.STATUS, actor=actor, old=old, new=status)
        record_audit(actor=actor, action="update", obj=case, fields=["status"])
    return case


def resolve_case(*, actor: Actor, case_pk: int, resolution_code: str,
                 note: str = "", followup_survey_pk: int | None = None) -> Case:
    """Resolve an open case with a resolution code (required) and an optional note.

    With a follow-up survey (``followup_survey_pk``, else the one its rule named)
    the customer is invited to it some days later (the rule's follow-up days,
    else FOLLOWUP_DAYS). Publishes ``case.resolved``. Raises ValidationFailed
    naming ``resolution_code``, ``resolution_note``, ``followup_survey`` or
    ``status`` (already resolved).
    """
    require(actor, WORK)
    if resolution_code not in ResolutionCode.values:
        raise _invalid("resolution_code", _("Choose how the case was resolved."))
    note = _clean_text(note, "resolution_note", required=False, limit=MAX_TEXT)
    if followup_survey_pk is not None and not Survey.objects.filter(
            pk=followup_survey_pk).exists():
        raise _invalid("followup_survey", _("No survey with ID %(ids)s.")
                       % {"ids": followup_survey_pk})
    with transaction.atomic():
        case = _lock(case_pk)
        if not case.is_open:
            raise _invalid("status", _("The case is already %(status)s.")
                           % {"status": case.get_status_display()})
        old = case.status
        now = timezone.now()
        _mark_first_response(case, now)
        case.status = Status.RESOLVED
        case.resolved_at = now
        case.resolution_code = resolution_code
        case.resolution_note = note
        if followup_survey_pk is not None:
            case.followup_survey_id = followup_survey_pk
        if case.followup_survey_id is not None and case.customer_id is not None:
            days = case.rule.followup_days if case.rule is not None else FOLLOWUP_DAYS
            case.followup_at = now + timedelta(days=days)
            case.followup_sent_at = None
        case.save(update_fields=["status", "resolved_at", "resolution_code",
                                 "resolution_note", "first_response_at", "followup_survey",
                                 "followup_at", "followup_sent_at", "updated_at"])
        record_event(case, kind=EventKind.RESOLVED, actor=actor, old=old,
                     new=resolution_code, detail=note)
        record_audit(actor=actor, action="update", obj=case,
                     fields=["status", "resolution_code", "resolution_note"])
        publish_resolved(case)
    return case


def close_case(*, actor: Actor, case_pk: int) -> Case:
    """Close a resolved case (nothing more to do, the follow-up is over)."""
    require(actor, WORK)
    with transaction.atomic():
        case = _lock(case_pk)
        if case.status == Status.CLOSED:
            return case
        if case.status != Status.RESOLVED:
            raise _invalid("status", _("Resolve the case before closing it."))
        case.status = Status.CLOSED
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "closed_at", "updated_at"])
        record_event(case, kind=EventKind.STATUS, actor=actor, old=Status.RESOLVED,
                     new=Status.CLOSED)
        record_audit(actor=actor, action="update", obj=case, fields=["status"])
    return case


def reopen_case(*, actor: Actor, case_pk: int, reason: str = "") -> Case:
    """Reopen a resolved or closed case; its SLA clock starts again from now."""
    require(actor, WORK)
    reason = _clean_text(reason, "reason", required=False, limit=MAX_TEXT)
    with transaction.atomic():
        case = _lock(case_pk)
        if case.status not in DONE_STATUSES:
            raise _invalid("status", _("Only a resolved or closed case can be reopened."))
        old = case.status
        now = timezone.now()
        case.status = Status.OPEN
        case.resolution_code = ""
        case.resolved_at = None
        case.closed_at = None
        case.escalated_at = None
        case.due_at = sla.due_at(case.priority, now)
        case.reopened_count += 1
        if case.followup_sent_at is None:
            case.followup_at = None  # not sent yet: wait for the next resolution
        case.save(update_fields=["status", "resolution_code", "resolved_at", "closed_at",
                                 "escalated_at", "due_at", "reopened_count", "followup_at",
                                 "updated_at"])
        record_event(case, kind=EventKind.REOPENED, actor=actor, old=old, new=Status.OPEN,
                     detail=reason)
        record_audit(actor=actor, action="update", obj=case, fields=["status"])
    return case


def add_note(*, actor: Actor, case_pk: int, body: str) -> CaseNote:
    """An internal note on the case (never shown to the customer)."""
    require(actor, WORK)
    body = _clean_text(body, "body", required=True, limit=MAX_TEXT)
    with transaction.atomic():
        case = _lock(case_pk)
        note = CaseNote.objects.create(case=case, author=actor.user,
                                       author_label=actor.display, body=body)
        record_event(case, kind=EventKind.NOTE, actor=actor, detail=body)
        case.save(update_fields=["updated_at"])
        record_audit(actor=actor, action="create", obj=note, fields=["body"])
    return note


def update_case(*, actor: Actor, case_pk: int, status: str | None = None,
                priority: str | None = None, assignee_pk: int | None = None,
                unassign: bool = False, resolution_code: str | None = None,
                resolution_note: str = "", followup_survey_pk: int | None = None) -> Case:
    """Several changes at once (the API's PATCH), all or none.

    ``status`` "resolved" needs ``resolution_code``; "closed" closes, "open" on a
    resolved or closed case reopens.
    """
    require(actor, WORK)
    with transaction.atomic():
        case = _lock(case_pk)
        if unassign or assignee_pk is not None:
            case = assign_case(actor=actor, case_pk=case.pk,
                               assignee_pk=None if unassign else assignee_pk)
        if priority is not None:
            case = change_priority(actor=actor, case_pk=case.pk, priority=priority)
        if status is None and resolution_code is not None:
            status = Status.RESOLVED
        if status is not None and status != case.status:
            if status == Status.RESOLVED:
                if resolution_code is None:
                    raise _invalid("resolution_code", _("Choose how the case was resolved."))
                case = resolve_case(actor=actor, case_pk=case.pk,
                                    resolution_code=resolution_code, note=resolution_note,
                                    followup_survey_pk=followup_survey_pk)
            elif status == Status.CLOSED:
                case = close_case(actor=actor, case_pk=case.pk)
            elif case.status in DONE_STATUSES and status in OPEN_STATUSES:
                if status != Status.OPEN:
                    raise _invalid("status", _("A reopened case is open; set status open."))
                case = reopen_case(actor=actor, case_pk=case.pk)
            else:
                case = change_status(actor=actor, case_pk=case.pk, status=status)
    return case

