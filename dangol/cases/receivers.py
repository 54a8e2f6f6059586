"""Receivers of other apps' signals (connected in CasesConfig.ready)."""

import logging
from typing import Any

from django.db import transaction

from dangol.cases import tasks
from dangol.cases.services import automation
from dangol.core.transactions import enqueue_after_commit

logger = logging.getLogger(__name__)


def on_response_completed(sender: Any, response_pk: int, survey_pk: int,
                          customer_pk: int | None, **kwargs: Any) -> None:
    """Open the cases that score rules call for, inside the completing transaction,
    and queue the check of written answers for negative-text rules after it commits.

    A failure here must not cost the respondent their answers: it is logged and
    the response completes without its cases (its savepoint is rolled back).
    """
    try:
        with transaction.atomic():
            text_rules = automation.handle_completion(response_pk=response_pk,
                                                      survey_pk=survey_pk)
    except Exception:
        logger.exception("cases for response %s could not be opened", response_pk)
        return
    if text_rules:
        enqueue_after_commit(tasks.open_cases_from_text_task, response_pk)


def on_items_analysed(sender: Any, item_pks: list[int], **kwargs: Any) -> None:
    """Open cases for negative reviews and posts just analysed, in the storing transaction.

    A failure must not cost the analysis: it is logged and the items keep their
    results without cases (the savepoint is rolled back).
    """
    try:
        with transaction.atomic():
            automation.open_cases_for_items(item_pks=item_pks)
    except Exception:
        logger.exception("cases for feedback items %s could not be opened", item_pks[:10])
