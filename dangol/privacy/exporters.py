"""Exporters and erasers of the apps that hold personal data, registered by PrivacyConfig.

Each reads or changes only its own app's tables (through their models, read-only
for exporting); the erasers run inside the deletion's transaction, before the
customer row itself is deleted with ``delete_customer``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Sum

from dangol.campaigns.models import Recipient
from dangol.cases.models import Case
from dangol.customers.models import Consent, ConsentEvent, Customer, Order, OrderLine
from dangol.engagement.models import Message
from dangol.feedback.models import FeedbackItem
from dangol.loyalty.models import Account, Coupon, Entry
from dangol.segments.models import CustomerScore
from dangol.surveys.models import Answer, Invitation, Response
from dangol.textkit import mask_pii

PROFILE_FIELDS = ("external_id", "name", "email", "phone", "birthday", "gender", "region",
                  "language", "joined_at", "attributes", "created_at", "updated_at")


def _rows(values: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in values]


# --- customers --------------------------------------------------------------------------


def export_profile(customer: Customer) -> list[dict[str, Any]]:
    return [{name: getattr(customer, name) for name in PROFILE_FIELDS}]


def export_consents(customer: Customer) -> list[dict[str, Any]]:
    current = list(Consent.objects.filter(customer=customer).order_by("channel", "purpose")
                   .values("channel", "purpose", "granted_at", "withdrawn_at",
                           "night_granted_at", "source"))
    history = list(ConsentEvent.objects.filter(customer=customer).order_by("at", "id")
                   .values("channel", "purpose", "action", "at", "source"))
    return [*({"record": "consent", **row} for row in current),
            *({"record": "consent_event", **row} for row in history)]


def export_orders(customer: Customer) -> list[dict[str, Any]]:
    orders = list(Order.objects.filter(customer=customer).order_by("ordered_at", "pk")
                  .values("pk", "external_id", "ordered_at", "total_amount", "currency",
                          "status", "channel", "store"))
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in (OrderLine.objects.filter(order__customer=customer)
                 .order_by("order_id", "line_no")
                 .values("order_id", "line_no", "product_external_id", "quantity",
                         "unit_price", "amount")):
        row: dict[str, Any] = dict(line)
        lines.setdefault(row.pop("order_id"), []).append(row)
    return [{**{k: v for k, v in order.items() if k != "pk"}, "lines": lines.get(order["pk"], [])}
            for order in orders]


def erase_customer_records(customer: Customer) -> dict[str, Any]:
    """Orders and consents are deleted with the customer; this counts them."""
    return {"orders": Order.objects.filter(customer=customer).count(),
            "consents": Consent.objects.filter(customer=customer).count(),
            "consent_events": ConsentEvent.objects.filter(customer=customer).count()}


# --- surveys ----------------------------------------------------------------------------


def export_survey_responses(customer: Customer) -> list[dict[str, Any]]:
    responses = (Response.objects.filter(customer=customer).select_related("survey")
                 .order_by("created_at", "pk"))
    return [{"survey": r.survey.name, "status": r.status, "language": r.language,
             "channel": r.channel, "started_at": r.created_at, "completed_at": r.completed_at,
             "answers": r.answers} for r in responses]


def export_survey_invitations(customer: Customer) -> list[dict[str, Any]]:
    return _rows(Invitation.objects.filter(customer=customer).order_by("created_at", "pk")
                 .values("survey__name", "channel", "language", "status", "created_at",
                         "opened_at", "started_at", "completed_at", "reminders_sent"))


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def erase_survey_responses(customer: Customer) -> dict[str, Any]:
    """Keep the answers for statistics, without the person: the link to the customer and
    the invitation goes, free text is replaced by its masked form."""
    responses = list(Response.objects.select_for_update().filter(customer=customer))
    masked_answers = 0
    for answer in Answer.objects.filter(response__in=responses).exclude(text=""):
        masked = mask_pii(answer.text)
        if masked != answer.text:
            answer.text = masked
            answer.save(update_fields=["text"])
            masked_answers += 1
    for response in responses:
        response.customer = None
        response.invitation = None
        response.external_id = None
        response.client_hash = ""
        response.address_hash = ""
        response.answers = _masked(response.answers)
        response.save(update_fields=["customer", "invitation", "external_id", "client_hash",
                                     "address_hash", "answers", "updated_at"])
    return {"responses_anonymised": len(responses), "answers_masked": masked_answers}


# --- loyalty ----------------------------------------------------------------------------


def export_loyalty_ledger(customer: Customer) -> list[dict[str, Any]]:
    return _rows(Entry.objects.filter(account__customer=customer).order_by("at", "id")
                .values("program__name", "kind", "source", "source_ref", "points",
                        "balance_after", "expires_at", "reason", "at"))


def export_loyalty_accounts(customer: Customer) -> list[dict[str, Any]]:
    accounts = _rows(Account.objects.filter(customer=customer).order_by("pk")
                     .values("program__name", "balance", "debt", "lifetime_earned",
                             "tier__name", "tier_until", "created_at"))
    coupons = _rows(Coupon.objects.filter(customer=customer).order_by("pk")
                    .values("campaign__name", "code", "expires_at", "uses", "created_at"))
    return [*({"record": "account", **row} for row in accounts),
            *({"record": "coupon", **row} for row in coupons)]


def erase_loyalty_ledger(customer: Customer) -> dict[str, Any]:
    """Ledger entries belong to the customer's account (not nullable), so they are deleted
    with it; the totals are kept in the request's summary for the accounts."""
    entries = Entry.objects.filter(account__customer=customer)
    totals = entries.aggregate(earned=Sum("points", filter=Q(points__gt=0)),
                               spent=Sum("points", filter=Q(points__lt=0)))
    return {"accounts": Account.objects.filter(customer=customer).count(),
            "entries": entries.count(), "points_added": totals["earned"] or 0,
            "points_taken": -(totals["spent"] or 0)}


# --- engagement and cases ---------------------------------------------------------------


def export_messages(customer: Customer) -> list[dict[str, Any]]:
    return _rows(Message.objects.filter(customer=customer).order_by("created_at", "pk")
                .values("channel", "purpose", "subject", "body", "to_address", "status",
                        "created_at", "sent_at", "delivered_at"))


def erase_messages(customer: Customer) -> dict[str, Any]:
    return {"messages": Message.objects.filter(customer=customer).count()}


def export_cases(customer: Customer) -> list[dict[str, Any]]:
    return _rows(Case.objects.filter(customer=customer).order_by("created_at", "pk")
                .values("pk", "subject", "reason", "source", "priority", "status",
                        "created_at", "resolved_at", "closed_at"))


def erase_cases(customer: Customer) -> dict[str, Any]:
    return {"cases": Case.objects.filter(customer=customer).count()}


def export_campaigns(customer: Customer) -> list[dict[str, Any]]:
    return _rows(Recipient.objects.filter(customer=customer).order_by("at", "pk")
                 .values("campaign__name", "outcome", "block_reason", "at"))


# --- feedback hub: reviews, posts, conversations, interview notes ----------------------


def export_feedback_items(customer: Customer) -> list[dict[str, Any]]:
    return _rows(FeedbackItem.objects.filter(customer=customer).order_by("occurred_at", "pk")
                 .values("source", "channel", "external_id", "rating", "rating_scale", "author",
                         "text", "url", "occurred_at", "received_at", "tags"))


def erase_feedback_items(customer: Customer) -> dict[str, Any]:
    """Keep what was said for statistics, without the person: no link to the customer, no
    author or link, the text in its masked form."""
    items = list(FeedbackItem.objects.select_for_update().filter(customer=customer))
    for item in items:
        item.customer = None
        item.customer_external_id = ""
        item.author = ""
        item.url = ""
        item.text = mask_pii(item.text)
        item.save(update_fields=["customer", "customer_external_id", "author", "url", "text",
                                 "updated_at"])
    return {"feedback_items_anonymised": len(items)}


# --- segments: profiling (scores that automated decisions may use) ---------------------


def export_scores(customer: Customer) -> list[dict[str, Any]]:
    skip = {"id", "customer_id"}
    return [{k: v for k, v in row.items() if k not in skip}
            for row in CustomerScore.objects.filter(customer=customer).values()]


EXPORTERS = {
    "profile": export_profile,
    "consents": export_consents,
    "orders": export_orders,
    "survey_responses": export_survey_responses,
    "survey_invitations": export_survey_invitations,
    "loyalty_accounts": export_loyalty_accounts,
    "loyalty_ledger": export_loyalty_ledger,
    "messages": export_messages,
    "campaigns": export_campaigns,
    "cases": export_cases,
    "feedback_items": export_feedback_items,
    "scores": export_scores,
}

ERASERS = {
    "customers": erase_customer_records,
    "survey_responses": erase_survey_responses,
    "loyalty_ledger": erase_loyalty_ledger,
    "messages": erase_messages,
    "cases": erase_cases,
    "feedback_items": erase_feedback_items,
}
