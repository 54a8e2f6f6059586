"""Answering a survey: starting, saving screen by screen, completing.

A response moves from ``partial`` to ``completed`` exactly once. Completion
locks the response row, so a second submission of the same invitation (two
tabs, a double click, a replayed request) changes nothing and is told so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.core.errors import DomainError, FieldProblem, ValidationFailed
from dangol.surveys import signals
from dangol.surveys.answers import check_answers, is_empty
from dangol.surveys.definition import (
    Definition,
    Question,
    QuestionType,
    all_hold,
    pages,
)
from dangol.surveys.models import Answer, Invitation, Response, Survey, SurveyVersion
from dangol.surveys.services import ratelimit
from dangol.surveys.services.events import response_completed_event
from dangol.surveys.services.surveys import is_open

DUPLICATE_WINDOW_HOURS = 24


class AlreadyCompleted(DomainError):
    status = 409
    code = "already_completed"


class SurveyUnavailable(DomainError):
    status = 409
    code = "survey_closed"


@dataclass
class ScreenResult:
    problems: list[FieldProblem] = field(default_factory=list)
    completed: bool = False
    screen: int = 0


# Published versions never change, so their parsed questions are kept per process,
# keyed by row and publication time (an ID alone may be reused after a rollback).
_definitions: dict[tuple[int, object], Definition] = {}


def definition_of(version: SurveyVersion) -> Definition:
    key = (version.pk, version.published_at)
    found = _definitions.get(key)
    if found is None:
        found = Definition.model_validate(version.definition)
        if len(_definitions) > 1000:
            _definitions.clear()
        _definitions[key] = found
    return found


def screens_of(survey: Survey, definition: Definition) -> list[list[Question]]:
    return pages(definition, one_per_page=survey.one_per_page)


def visible_on(screen: list[Question], answers: dict[str, Any]) -> list[Question]:
    """Questions of ``screen`` shown given the answers so far (show_if only)."""
    return [q for q in screen if all_hold(q.show_if, answers)]


def ended_early(definition: Definition, answers: dict[str, Any]) -> bool:
    """Whether an answered question's end_if has ended the survey."""
    for question in definition.questions:
        if not all_hold(question.show_if, answers):
            continue
        if question.end_if and question.key in answers and all_hold(question.end_if, answers):
            return True
    return False


def next_screen(survey: Survey, definition: Definition, answers: dict[str, Any],
                after: int) -> int | None:
    """Index of the first screen after ``after`` with a visible question, or None (the end)."""
    if ended_early(definition, answers):
        return None
    screens = screens_of(survey, definition)
    for index in range(after + 1, len(screens)):
        if visible_on(screens[index], answers):
            return index
    return None


def previous_screen(survey: Survey, definition: Definition, answers: dict[str, Any],
                    before: int) -> int:
    screens = screens_of(survey, definition)
    for index in range(min(before, len(screens)) - 1, -1, -1):
        if visible_on(screens[index], answers):
            return index
    return 0


def client_fingerprint(ip: str | None, user_agent: str) -> str:
    """A keyed hash of the client's address and browser (the address itself is not kept)."""
    material = f"{settings.SECRET_KEY}|{ip or ''}|{user_agent[:300]}"
    return hashlib.sha256(material.encode()).hexdigest()


def address_fingerprint(ip: str | None) -> str:
    """A keyed hash of the client's network address alone (for the rate limit)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|addr|{ip or ''}".encode()).hexdigest()


def too_many_from(survey: Survey, address_hash: str, *, limit: int) -> bool:
    """Whether this address already started ``limit`` responses to ``survey`` in the last hour.

    Counted in the database per minute (see :mod:`ratelimit`), so every web
    process and machine shares the limit, and reading it costs the same
    however many responses the address sent.
    """
    if not address_hash:
        return False
    return ratelimit.started_recently(survey_pk=survey.pk, address_hash=address_hash,
                                      now=timezone.now()) >= limit


def start_response(
    *,
    survey: Survey,
    language: str,
    channel: str,
    invitation: Invitation | None = None,
    client_hash: str = "",
    address_hash: str = "",
) -> Response:
    """Begin (or, for an invitation, resume) a response on the survey's live version.

    Raises SurveyUnavailable when the survey does not accept responses now.
    """
    reason = is_open(survey)
    if invitation is not None:
        existing = Response.objects.filter(invitation=invitation).first()
        if existing is not None:
            return existing
    if reason:
        raise SurveyUnavailable(reason)
    language = language if language in survey.languages else survey.default_language
    with transaction.atomic():
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey, version_id=survey.current_version_id, invitation=invitation,
                    customer_id=invitation.customer_id if invitation else None,
                    language=language, channel=channel, client_hash=client_hash,
                    address_hash=address_hash)
        except IntegrityError:
            # Two tabs opened the same invitation at once: both use one response.
            return Response.objects.get(invitation=invitation)
        if invitation is None:
            ratelimit.count_start(survey_pk=survey.pk, address_hash=address_hash,
                                  now=response.created_at)
        else:
            now = timezone.now()
            Invitation.objects.filter(pk=invitation.pk).exclude(
                status=Invitation.Status.COMPLETED).update(
                status=Invitation.Status.STARTED, started_at=now,
                opened_at=invitation.opened_at or now)
    return response


def save_screen(*, response: Response, screen: int, submitted: dict[str, Any],
                language: str | None = None) -> ScreenResult:
    """Check and keep the answers given on one screen, then move on (or complete).

    Nothing is stored when any answer is refused: the problems name each
    question. Answers to questions that the new answers hide are removed.
    Raises AlreadyCompleted for a completed response.
    """
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related(
            "survey", "version").get(pk=response.pk)
        if locked.status == Response.Status.COMPLETED:
            raise AlreadyCompleted(_("This survey was already answered; nothing was changed."))
        survey = locked.survey
        reason = is_open(survey)
        if reason:
            raise SurveyUnavailable(reason)
        definition = definition_of(locked.version)
        screens = screens_of(survey, definition)
        if not 0 <= screen < len(screens):
            raise ValidationFailed([FieldProblem("screen", _("No such page."))])
        questions = visible_on(screens[screen], locked.answers)
        unknown_here = set(submitted) - {q.key for q in questions}
        checked = check_answers(definition, {k: v for k, v in submitted.items()
                                             if k not in unknown_here},
                                on_screen=questions, earlier=locked.answers)
        problems = checked.problems + [
            FieldProblem(key, _("This question is not on this page.")) for key in unknown_here]
        if problems:
            return ScreenResult(problems=problems, screen=screen)
        answers = dict(locked.answers)
        for question in questions:
            answers.pop(question.key, None)
        answers.update(checked.answers)
        answers = drop_hidden(definition, answers)
        following = next_screen(survey, definition, answers, screen)
        locked.answers = answers
        if language and language in survey.languages:
            locked.language = language
        if following is None:
            locked.save(update_fields=["answers", "language", "updated_at"])
            _complete(locked, definition)
            return ScreenResult(completed=True, screen=screen)
        locked.screen = following
        locked.save(update_fields=["answers", "screen", "language", "updated_at"])
        return ScreenResult(screen=following)


def keep_partial(*, response: Response, screen: int, submitted: dict[str, Any]) -> int:
    """Keep the valid answers typed so far on a screen without moving on (autosave).

    Answers that are not valid yet are left out silently: the respondent is
    still typing, and the full check runs when the screen is submitted.
    Returns how many answers were kept. A completed response is not touched.
    """
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related(
            "survey", "version").get(pk=response.pk)
        if locked.status == Response.Status.COMPLETED or is_open(locked.survey):
            return 0
        definition = definition_of(locked.version)
        screens = screens_of(locked.survey, definition)
        if not 0 <= screen < len(screens):
            return 0
        questions = visible_on(screens[screen], locked.answers)
        keys = {q.key for q in questions}
        checked = check_answers(definition, {k: v for k, v in submitted.items() if k in keys},
                                on_screen=questions, earlier=locked.answers)
        if not checked.answers:
            return 0
        locked.answers = drop_hidden(definition, {**locked.answers, **checked.answers})
        locked.save(update_fields=["answers", "updated_at"])
        return len(checked.answers)


def drop_hidden(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """Keep only answers to questions that the answers themselves leave visible."""
    kept: dict[str, Any] = {}
    ended = False
    for question in definition.questions:
        if ended or not all_hold(question.show_if, kept):
            continue
        if question.key in answers:
            kept[question.key] = answers[question.key]
            if question.end_if and all_hold(question.end_if, kept):
                ended = True
    return kept


def _answers_hash(answers: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(answers, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def _complete(response: Response, definition: Definition) -> None:
    """Mark a locked partial response completed and record its answer rows.

    Call inside a transaction holding the response's row lock. Raises
    DomainError ``duplicate_submission`` for an anonymous response identical
    to one the same client completed in the last day, and SurveyUnavailable
    when the quota is reached.
    """
    missing = [FieldProblem(q.key, _("This question needs an answer."))
               for q in definition.questions
               if q.required and q.key not in response.answers
               and q.key in _visible_keys(definition, response.answers)]
    if missing:
        raise ValidationFailed(missing, _("Some required questions have no answer."))
    now = timezone.now()
    response.answers_hash = _answers_hash(response.answers)
    if response.invitation_id is None and response.client_hash:
        since = now - timezone.timedelta(hours=DUPLICATE_WINDOW_HOURS)
        if _duplicate(survey_pk=response.survey_id, client_hash=response.client_hash,
                      answers_hash=response.answers_hash, since=since):
            raise DomainError(_("These answers were already received from you."),
                              code="duplicate_submission", status=409)
    response.status = Response.Status.COMPLETED
    response.completed_at = now
    Answer.objects.bulk_create(answer_rows(response, definition))
    if response.invitation_id is not None:
        Invitation.objects.filter(pk=response.invitation_id).update(
            status=Invitation.Status.COMPLETED, completed_at=now)
    rewards = signals.response_completed.send(
        sender=Response, response_pk=response.pk, survey_pk=response.survey_id,
        customer_pk=response.customer_id)
    response.rewards = [{"label": str(reward.label), "points": reward.points}
                        for _receiver, reward in rewards if isinstance(reward, signals.Reward)]
    response.save(update_fields=["status", "completed_at", "answers_hash", "rewards",
                                 "updated_at"])
    response_completed_event(response)
    # Counted last: the survey row is the one every completion updates, so its
    # lock is held for as short a time as possible (a refusal rolls all back).
    survey_filter = Q(pk=response.survey_id)
    if response.survey.quota is not None:
        survey_filter &= Q(completed_count__lt=response.survey.quota)
    if not Survey.objects.filter(survey_filter).update(completed_count=F("completed_count") + 1):
        raise SurveyUnavailable(_("This survey has received all the responses it needs. "
                                  "Thank you!"))


@cache
def duplicate_sql(vendor: str) -> str:
    """Whether a client completed the same answers since a moment: parameters survey id,
    client hash, answers hash, completed status, the moment.

    On SQLite the status and time are kept off the index choice (unary ``+``): without
    table statistics it would pick the survey-status-time index and read every
    completed response, instead of the client-and-answers index's few rows.
    """
    table, q = Response._meta.db_table, connection.ops.quote_name
    keep_off = "+" if vendor == "sqlite" else ""
    return (
        f"SELECT 1 FROM {q(table)} WHERE {q('survey_id')} = %s "  # noqa: S608
        f"AND {q('client_hash')} = %s AND {q('answers_hash')} = %s "
        f"AND {keep_off}{q('status')} = %s AND {keep_off}{q('completed_at')} >= %s"
    )


def _duplicate(*, survey_pk: int, client_hash: str, answers_hash: str,
               since: datetime) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(duplicate_sql(connection.vendor) + " LIMIT 1", [
            survey_pk, client_hash, answers_hash, Response.Status.COMPLETED,
            connection.ops.adapt_datetimefield_value(since)])
        return cursor.fetchone() is not None


def _visible_keys(definition: Definition, answers: dict[str, Any]) -> set[str]:
    keys = set()
    for question in definition.questions:
        if not all_hold(question.show_if, answers):
            continue
        keys.add(question.key)
        if question.end_if and question.key in answers and all_hold(question.end_if, answers):
            break
    return keys


def answer_rows(response: Response, definition: Definition) -> list[Answer]:
    rows = []
    for question in definition.questions:
        value = response.answers.get(question.key)
        if is_empty(value):
            continue
        base = {"response": response, "survey_id": response.survey_id, "question": question.key}
        if question.type == QuestionType.MATRIX:
            rows += [Answer(**base, row=row, number=number) for row, number in value.items()]
        elif question.type == QuestionType.SINGLE:
            rows.append(Answer(**base, choice=value["choice"], text=value.get("other", "")))
        elif question.type == QuestionType.MULTIPLE:
            rows += [Answer(**base, choice=key,
                            text=value.get("other", "") if key == "other" else "")
                     for key in value["choices"]]
        elif question.type == QuestionType.TEXT:
            rows.append(Answer(**base, text=value))
        else:
            rows.append(Answer(**base, number=value))
    return rows


def submit_response(
    *,
    survey: Survey,
    answers: dict[str, Any],
    language: str | None = None,
    channel: str = Response.Channel.API,
    customer_pk: int | None = None,
    external_id: str | None = None,
    client_hash: str = "",
    address_hash: str = "",
) -> tuple[Response, bool]:
    """Record a whole, completed response in one call (the API, imports, the widget).

    Idempotent on ``external_id``: repeating it returns the first response
    (and False) when the answers are the same, and refuses different answers.
    With ``client_hash`` (see client_fingerprint) the same answers from the
    same client within a day are refused (``duplicate_submission``).
    Raises ValidationFailed naming each bad answer, SurveyUnavailable when
    closed.
    """
    reason = is_open(survey)
    if reason:
        raise SurveyUnavailable(reason)
    version = survey.current_version
    definition = definition_of(version)  # type: ignore[arg-type]
    checked = check_answers(definition, answers)
    if checked.problems:
        raise ValidationFailed(checked.problems, _("Some answers are not valid."))
    if external_id:
        existing = Response.objects.filter(external_id=external_id).first()
        if existing is not None:
            return _same_or_conflict(existing, survey, checked.answers), False
    with transaction.atomic():
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey, version=version, customer_id=customer_pk,
                    external_id=external_id or None,
                    language=language if language in survey.languages
                    else survey.default_language,
                    channel=channel, answers=drop_hidden(definition, checked.answers),
                    client_hash=client_hash, address_hash=address_hash)
        except IntegrityError:
            existing = Response.objects.get(external_id=external_id)
            return _same_or_conflict(existing, survey, checked.answers), False
        ratelimit.count_start(survey_pk=survey.pk, address_hash=address_hash,
                              now=response.created_at)
        response.survey = survey
        _complete(response, definition)
    return response, True


def _same_or_conflict(existing: Response, survey: Survey, answers: dict[str, Any]) -> Response:
    if existing.survey_id != survey.pk or existing.answers != answers:
        raise DomainError(_("A response with this ID already exists with other answers."),
                          code="duplicate_external_id", status=409)
    return existing
