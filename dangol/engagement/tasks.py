"""Background work of engagement (thin: each task calls one service by id)."""

from celery import shared_task

from dangol.engagement import delivery, reminders, selectors


@shared_task(acks_late=True)
def deliver_message_task(message_id: int) -> None:
    delivery.deliver_message(message_id=message_id)


@shared_task(acks_late=True)
def send_due_messages_task() -> None:
    """Every minute: queue the due retries and anything a crashed worker left behind."""
    for message_id in selectors.due_message_ids():
        deliver_message_task.delay(message_id)


@shared_task(acks_late=True)
def deliver_messages_task(message_ids: list[int]) -> None:
    """A chunk of a batch queued together; each message is claimed and sent on its own."""
    for message_id in message_ids:
        delivery.deliver_message(message_id=message_id)


@shared_task(acks_late=True)
def send_consent_reminders_task() -> None:
    """Daily: remind customers of ad consents with a two-year anniversary coming up."""
    reminders.send_consent_reminders()
