"""Survey answers and invitations on the customer timeline."""

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from dangol.customers.models import Customer
from dangol.customers.timeline import TimelineEntry
from dangol.surveys.models import Invitation, Response


def _scores(answers: dict[str, object], kinds: dict[str, str]) -> str:
    parts = [f"{kind.upper()} {answers[key]}" for key, kind in kinds.items() if key in answers]
    return ", ".join(parts)


def response_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    responses = (Response.objects.filter(customer=customer, status=Response.Status.COMPLETED)
                 .select_related("survey", "version").order_by("-completed_at")[:limit])
    for response in responses:
        kinds = {q["key"]: q["type"] for q in response.version.definition.get("questions", [])
                 if q["type"] in {"nps", "csat", "ces"}}
        yield TimelineEntry(
            at=response.completed_at, kind="survey_response",  # type: ignore[arg-type]
            title=_("Answered %(survey)s") % {"survey": response.survey.name},
            detail=_scores(response.answers, kinds),
            url=reverse("surveys:response", args=[response.survey_id, response.pk]),
            permission="surveys.view")


def invitation_entries(customer: Customer, limit: int) -> Iterator[TimelineEntry]:
    invitations = (Invitation.objects.filter(customer=customer).select_related("survey")
                   .order_by("-created_at")[:limit])
    for invitation in invitations:
        yield TimelineEntry(
            at=invitation.created_at, kind="survey_invitation",
            title=_("Invited to %(survey)s") % {"survey": invitation.survey.name},
            detail=f"{invitation.channel} · {invitation.get_status_display()}",
            permission="surveys.view")
