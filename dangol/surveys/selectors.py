"""Reads of the surveys app."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from dangol.customers.models import Customer, Order
from dangol.customers.selectors import search_customers
from dangol.engagement.models import Message
from dangol.segments.selectors import (
    customer_pks_in_rfm_segment,
    get_segment,
    segment_customers,
)
from dangol.surveys.models import Invitation, Response, Survey


def list_surveys() -> QuerySet[Survey]:
    return Survey.objects.select_related("current_version").order_by("-created_at")


def find_survey_by_slug(slug: str) -> Survey | None:
    return Survey.objects.select_related("current_version", "brand").filter(
        public_slug=slug).first()


def find_response_by_resume_key(survey: Survey, key: str) -> Response | None:
    return Response.objects.select_related("version").filter(survey=survey,
                                                             resume_key=key).first()


@dataclass(frozen=True)
class Audience:
    """Which customers to invite: every given filter must hold."""

    customer_ids: tuple[str, ...] = ()
    region: str = ""
    language: str = ""
    gender: str | None = None
    rfm_segment: str = ""
    segment_id: int | None = None  # a saved segment (dangol.segments)
    ordered_within_days: int | None = None


def audience_customers(audience: Audience) -> QuerySet[Customer]:
    customers = search_customers(region=audience.region, language=audience.language,
                                 gender=audience.gender)
    if audience.customer_ids:
        customers = customers.filter(external_id__in=audience.customer_ids)
    if audience.segment_id:
        customers = customers.filter(pk__in=segment_customers(get_segment(audience.segment_id))
                                     .values("pk"))
    if audience.rfm_segment:
        customers = customers.filter(pk__in=customer_pks_in_rfm_segment(audience.rfm_segment))
    if audience.ordered_within_days:
        since = timezone.now() - timedelta(days=audience.ordered_within_days)
        customers = customers.filter(pk__in=Order.objects.filter(ordered_at__gte=since)
                                     .values("customer_id"))
    return customers


# The outbox message's state (sent, delivered, failed) stands for an invitation
# that the customer has not opened yet.
_MESSAGE_TO_INVITATION = {"sending": "queued", "queued": "queued", "sent": "sent",
                          "delivered": "delivered", "failed": "failed", "blocked": "blocked"}


def invitation_counts(survey: Survey) -> dict[str, int]:
    """Invitations of ``survey`` by status, with the outbox's delivery state folded in."""
    counts = dict(survey.invitations.exclude(status=Invitation.Status.QUEUED)
                  .values_list("status").annotate(n=Count("pk")))
    waiting = survey.invitations.filter(status=Invitation.Status.QUEUED)
    counts["queued"] = waiting.filter(message_id__isnull=True).count()
    by_message = (Message.objects.filter(pk__in=waiting.values("message_id"))
                  .values_list("status").annotate(n=Count("pk")))
    for status, n in by_message:
        key = _MESSAGE_TO_INVITATION.get(status, "queued")
        counts[key] = counts.get(key, 0) + n
    return {status: counts.get(status, 0) for status in Invitation.Status.values}


def invitation_status(invitation: Invitation, message_status: str | None) -> str:
    if invitation.status != Invitation.Status.QUEUED or message_status is None:
        return invitation.status
    return _MESSAGE_TO_INVITATION.get(message_status, "queued")


def list_invitations(survey: Survey) -> QuerySet[Invitation]:
    return survey.invitations.select_related("customer").order_by("-pk")


def list_responses(survey: Survey) -> QuerySet[Response]:
    return Response.objects.filter(survey=survey).select_related("version", "customer")


def message_states(message_ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    """Outbox status and sending time of each invitation message."""
    return {pk: (status, sent_at) for pk, status, sent_at in
            Message.objects.filter(pk__in=message_ids).values_list("pk", "status", "sent_at")}
