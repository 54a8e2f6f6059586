"""Writes of personal-data requests: receive, verify identity, export, complete, refuse.

Each service locks the request row, changes it in one transaction and writes an
audit row. A finished request (done or refused) cannot be changed again.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.accounts.actors import Actor
from dangol.accounts.services import record_audit, require
from dangol.core.errors import DomainError, FieldProblem, NotFound, ValidationFailed
from dangol.customers.models import Channel, Consent, Customer, Purpose
from dangol.customers.schemas import ConsentIn, CustomerIn
from dangol.customers.services import delete_customer, upsert_customer
from dangol.privacy import registry
from dangol.privacy.models import DataRequest, Kind, Status
from dangol.privacy.selectors import find_customer

PERMISSION = "privacy.handle_requests"


def mask_name(name: str) -> str:
    """김민수 -> 김**, John Smith -> J*********: enough to recognise a request, no more."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, message)], message)


def _locked(request_pk: int) -> DataRequest:
    data_request = DataRequest.objects.select_for_update().filter(pk=request_pk).first()
    if data_request is None:
        raise NotFound(_("No personal-data request with ID %(id)s.") % {"id": request_pk})
    if not data_request.is_open:
        raise DomainError(_("This request is already finished (%(status)s).")
                          % {"status": data_request.get_status_display()},
                          code="request_finished", status=409)
    return data_request


def _handled(data_request: DataRequest, actor: Actor) -> None:
    data_request.handled_by = actor.user
    data_request.handled_by_label = actor.display


def create_request(*, actor: Actor, customer: str, kind: str, details: str = "",
                   received_at: datetime | None = None) -> DataRequest:
    """Record a request of the customer found by ``customer`` (ID, e-mail or phone).

    The reply is due 10 days after ``received_at`` (default now). Raises
    PermissionDenied, ValidationFailed (``customer``, ``kind``, ``received_at``).
    """
    require(actor, PERMISSION)
    problems = []
    found = find_customer(customer) if customer.strip() else None
    if not customer.strip():
        problems.append(FieldProblem("customer", _("Enter the customer's ID, e-mail or phone.")))
    elif found is None:
        problems.append(FieldProblem("customer", _("No customer with this ID, e-mail or phone.")))
    if kind not in Kind.values:
        problems.append(FieldProblem("kind", _("Choose one of: %(kinds)s.")
                                     % {"kinds": ", ".join(Kind.values)}))
    now = timezone.now()
    if received_at is not None and (timezone.is_naive(received_at) or received_at > now):
        problems.append(FieldProblem("received_at",
                                     _("The time received must have a time zone and not be "
                                       "in the future.")))
    if problems:
        raise ValidationFailed(problems, problems[0].message)
    assert found is not None
    with transaction.atomic():
        data_request = DataRequest.objects.create(
            customer=found, customer_external_id=found.external_id,
            customer_name_masked=mask_name(found.name), kind=kind, details=details.strip(),
            received_at=received_at or now, handled_by=actor.user,
            handled_by_label=actor.display)
        record_audit(actor=actor, action="create", obj=data_request,
                     fields=["customer", "kind", "received_at"])
    return data_request


def verify_identity(*, actor: Actor, request_pk: int, method: str) -> DataRequest:
    """Record how the requester's identity was checked; the request is then in progress."""
    require(actor, PERMISSION)
    method = method.strip()
    if not method:
        raise _invalid("identity_verification",
                       _("Say how the requester's identity was verified."))
    with transaction.atomic():
        data_request = _locked(request_pk)
        data_request.identity_verification = method[:300]
        data_request.identity_verified_at = timezone.now()
        data_request.status = Status.IN_PROGRESS
        _handled(data_request, actor)
        data_request.save()
        record_audit(actor=actor, action="update", obj=data_request,
                     fields=["identity_verification", "status"])
    return data_request


def _check_verified(data_request: DataRequest) -> None:
    if not data_request.identity_verification:
        raise _invalid("identity_verification",
                       _("Verify the requester's identity before completing the request."))


def export_request(*, actor: Actor, request_pk: int) -> tuple[DataRequest, str]:
    """Everything held about the customer as a JSON document; marks the request done.

    The document is made on demand and never stored. Only for access requests whose
    identity was verified and whose customer still exists.
    """
    require(actor, PERMISSION)
    with transaction.atomic():
        data_request = _locked(request_pk)
        if data_request.kind != Kind.ACCESS:
            raise _invalid("kind", _("Only an access request is answered with an export."))
        _check_verified(data_request)
        customer = data_request.customer
        if customer is None:
            raise _invalid("customer", _("The customer no longer exists."))
        now = timezone.now()
        sections = registry.export_sections(customer)
        document = {"customer_id": customer.external_id, "request_id": data_request.pk,
                    "exported_at": now, "sections": sections}
        text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        data_request.status = Status.DONE
        data_request.completed_at = now
        data_request.result_note = (data_request.result_note or _(
            "Exported: %(sections)s.") % {"sections": ", ".join(sections)})
        _handled(data_request, actor)
        data_request.save()
        record_audit(actor=actor, action="export", obj=data_request, fields=["status"])
    return data_request, text


def _withdraw_consents(actor: Actor, customer: Customer, source: str) -> int:
    granted = [c for c in Consent.objects.filter(customer=customer) if c.is_granted]
    if not granted:
        return 0
    upsert_customer(actor=actor, data=CustomerIn(
        external_id=customer.external_id,
        consents=[ConsentIn(channel=Channel(c.channel), purpose=Purpose(c.purpose),
                            granted=False, source=source) for c in granted]))
    return len(granted)


def complete_request(*, actor: Actor, request_pk: int, result_note: str = "",
                     identity_verification: str = "") -> DataRequest:
    """Carry out and close the request, in one transaction.

    deletion: every registered eraser runs and the customer is deleted
    (``delete_customer``), all in this transaction; the counts are kept in ``erased``.
    withdrawal: every granted consent of the customer is withdrawn (with its history).
    access, correction, suspension: recorded as done with ``result_note``.
    Raises PermissionDenied (also from the customer services), ValidationFailed, and
    DomainError ``erase_blocked`` when kept records still refer to the customer.
    """
    require(actor, PERMISSION)
    try:
        return _complete(actor, request_pk, result_note, identity_verification)
    except ProtectedError as error:
        # Raised by the customer's deletion; the transaction rolled everything back.
        blocking = sorted({str(obj._meta.verbose_name) for obj in error.protected_objects})
        raise DomainError(
            _("The customer cannot be deleted yet: records that must be kept refer to them "
              "(%(records)s). Nothing was changed.") % {"records": ", ".join(blocking)},
            code="erase_blocked", status=409) from None


@transaction.atomic
def _complete(actor: Actor, request_pk: int, result_note: str,
              identity_verification: str) -> DataRequest:
    data_request = _locked(request_pk)
    if identity_verification.strip() and not data_request.identity_verification:
        data_request.identity_verification = identity_verification.strip()[:300]
        data_request.identity_verified_at = timezone.now()
    _check_verified(data_request)
    customer = data_request.customer
    needs_customer = data_request.kind in {Kind.DELETION, Kind.WITHDRAWAL}
    if needs_customer and customer is None:
        raise _invalid("customer", _("The customer no longer exists."))
    source = f"privacy request #{data_request.pk}"
    if data_request.kind == Kind.DELETION:
        assert customer is not None
        data_request.erased = registry.run_erasers(customer)
        data_request.customer = None
        data_request.save(update_fields=["erased", "customer"])
        delete_customer(actor=actor, external_id=customer.external_id)
    elif data_request.kind == Kind.WITHDRAWAL:
        assert customer is not None
        data_request.erased = {"consents": {"withdrawn": _withdraw_consents(
            actor, customer, source)}}
    data_request.status = Status.DONE
    data_request.completed_at = timezone.now()
    data_request.result_note = result_note.strip()
    _handled(data_request, actor)
    data_request.save()
    record_audit(actor=actor, action="complete", obj=data_request,
                 fields=["status", "erased", "result_note"])
    return data_request


def refuse_request(*, actor: Actor, request_pk: int, reason: str) -> DataRequest:
    """Refuse the request; the reason is required (it is told to the customer, PIPA §35④)."""
    require(actor, PERMISSION)
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for refusing the request."))
    with transaction.atomic():
        data_request = _locked(request_pk)
        data_request.status = Status.REFUSED
        data_request.refusal_reason = reason
        data_request.completed_at = timezone.now()
        _handled(data_request, actor)
        data_request.save()
        record_audit(actor=actor, action="refuse", obj=data_request,
                     fields=["status", "refusal_reason"])
    return data_request


def document_filename(data_request: DataRequest) -> str:
    return f"personal-data-{data_request.customer_external_id}-{data_request.pk}.json"
