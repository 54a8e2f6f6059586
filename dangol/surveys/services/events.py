"""What the outside world hears when a response is completed.

The webhook event is written in the completing transaction (the webhooks
outbox), so a completed response is never lost when a receiver is down.
Free-text answers are queued for text analysis after commit.
"""

from typing import Any

from dangol.feedback.services import queue_response_analysis
from dangol.surveys.definition import QuestionType
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
    if _has_free_text(response):
        queue_response_analysis(response_pk=response.pk)


def _has_free_text(response: Response) -> bool:
    questions = response.version.definition.get("questions", [])
    text_keys = {q["key"] for q in questions if q["type"] == QuestionType.TEXT}
    if text_keys & set(response.answers):
        return True
    return any(isinstance(v, dict) and v.get("other") for v in response.answers.values())
