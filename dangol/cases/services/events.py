"""Writing a case's history and telling the outside world (webhooks) about it."""

from typing import Any

from django.utils import timezone

from dangol.accounts.actors import Actor
from dangol.cases.models import Case, CaseEvent
from dangol.webhooks.services import publish

CASE_CREATED = "case.created"
CASE_RESOLVED = "case.resolved"


def record_event(case: Case, *, kind: str, actor: Actor, old: str = "", new: str = "",
                 detail: str = "") -> CaseEvent:
    """One history row for ``case``; call inside the transaction that made the change."""
    return CaseEvent.objects.create(case=case, kind=kind, actor_user=actor.user,
                                    actor_label=actor.display, old_value=old[:200],
                                    new_value=new[:200], detail=detail, at=timezone.now())


def case_payload(case: Case) -> dict[str, Any]:
    """What webhook receivers get: identifiers and state, not the customer's profile."""
    return {
        "case_id": case.pk,
        "status": case.status,
        "priority": case.priority,
        "source": case.source,
        "subject": case.subject,
        "customer_id": case.customer.external_id if case.customer_id else None,
        "response_id": case.response_id,
        "rule_id": case.rule_id,
        "assignee": case.assignee.email if case.assignee_id else None,
        "due_at": case.due_at,
        "resolution_code": case.resolution_code or None,
        "resolved_at": case.resolved_at,
        "created_at": case.created_at,
    }


def publish_created(case: Case) -> None:
    publish(event_type=CASE_CREATED, payload=case_payload(case), occurred_at=case.created_at)


def publish_resolved(case: Case) -> None:
    publish(event_type=CASE_RESOLVED, payload=case_payload(case), occurred_at=case.resolved_at)
