"""Writes of the cases app, in one place for other apps and for the pages and API."""

from dangol.cases.services.automation import (
    escalate_overdue_cases,
    open_cases_for_response,
    open_cases_for_text,
    send_due_followups,
)
from dangol.cases.services.cases import (
    add_note,
    assign_case,
    change_priority,
    change_status,
    close_case,
    open_case,
    reopen_case,
    resolve_case,
    update_case,
)
from dangol.cases.services.replies import reply_to_customer
from dangol.cases.services.rules import RuleInput, save_rule

__all__ = [
    "RuleInput",
    "add_note",
    "assign_case",
    "change_priority",
    "change_status",
    "close_case",
    "escalate_overdue_cases",
    "open_case",
    "open_cases_for_response",
    "open_cases_for_text",
    "reopen_case",
    "reply_to_customer",
    "resolve_case",
    "save_rule",
    "send_due_followups",
    "update_case",
]
