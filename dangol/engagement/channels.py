"""How a message leaves: the outcome of one send attempt, whatever the channel."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """The channel accepted the message; ``provider_message_id`` finds it in reports."""

    provider: str
    provider_message_id: str


class SendFailed(Exception):
    """The channel did not take the message.

    ``permanent`` failures (a refused address, a rejected request) are not
    retried; others (timeouts, 5xx, 4xx SMTP replies) are retried with backoff.
    """

    def __init__(self, detail: str, *, permanent: bool):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
