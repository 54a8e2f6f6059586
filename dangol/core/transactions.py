"""Side effects after commit: tasks never run for a rolled-back change."""

from functools import partial
from typing import Any

from django.db import transaction


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue a Celery ``task`` once the current transaction commits (at once if none)."""
    transaction.on_commit(partial(task.delay, *args, **kwargs))
