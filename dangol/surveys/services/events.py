"""What the outside world hears when a response is completed.

The webhook event is written in the completing transaction (the webhooks
outbox), so a completed response is never lost when a receiver is down.
Free-text answers are queued for text analysis after commit.
"""

from typing import Any

from dangol.surveys.models import Response
from dangol.webhooks.services import publish

RESPONSE_COMPLETED = "survey.response.completed"


def response_payload(response: Response) -> dict[str, Any]:
    survey = response.survey
    return {
        "response_id": response.pk,
        "external_id": response.external_id,
        "survey": {"id": survey.pk, "name": survey.name, "kind": survey.kind},
        "version": response.version.number,
        "customer_id": response.customer.external_id if response.customer_id else None,
        "language": response.language,
        "channel": response.channel,
        "completed_at": response.completed_at,
        "answers": response.answers,
    }


def response_completed_event(response: Response) -> None:
    """Publish survey.response.completed for a response completed in this transaction."""
    publish(event_type=RESPONSE_COMPLETED, payload=response_payload(response),
            occurred_at=response.completed_at)
