from tests.webhooks.receiver import webhook_receiver

__all__ = ["webhook_receiver"]
