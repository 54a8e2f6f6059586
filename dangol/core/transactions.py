"""Side effects after commit: tasks and messages never run for a rolled-back change."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue a Celery ``task`` once the current transaction commits (at once if none)."""
    transaction.on_commit(partial(task.delay, *args, **kwargs))


def after_commit(func: Callable[[], None]) -> None:
    transaction.on_commit(func)
