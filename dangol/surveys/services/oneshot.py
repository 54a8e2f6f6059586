"""A new anonymous response answered and completed by one submitted screen.

Most public submissions are a short survey on one screen, posted once: the
general path starts a partial response (one transaction), then locks it,
saves the answers and completes it (a second one). Here the answers are
checked before any write, and the response is written completed in a single
transaction of plain SQL: the rate limit and the duplicate guard in one
query, the response row, its answer rows, then everything a completion does
on the general path (``response_completed`` with its receivers, the webhook
outbox event, the text analysis queued on commit, the survey's count with
its quota). Only quoted model metadata goes into the SQL text; values are
always parameters.

Anything else (a screen that does not finish the survey, refused answers, a
resumed or personal response, autosave, going back) takes the general path
in :mod:`dangol.surveys.services.responses`, which this module mirrors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangol.core.errors import DomainError
from dangol.surveys import signals
from dangol.surveys.answers import check_answers
from dangol.surveys.definition import Definition, Question
from dangol.surveys.models import Answer, Response, Survey, SurveyVersion, _nonce
from dangol.surveys.services import ratelimit
from dangol.surveys.services.events import response_completed_event
from dangol.surveys.services.responses import (
    DUPLICATE_WINDOW_HOURS,
    SurveyUnavailable,
    _answers_hash,
    _visible_keys,
    answer_rows,
    drop_hidden,
    duplicate_sql,
    next_screen,
    visible_on,
)
from dangol.surveys.services.surveys import is_open


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


@dataclass(frozen=True)
class Completed:
    response_pk: int
    resume_key: str
    rewards: list[dict[str, Any]]


# Published versions never change: their rows are kept per process, keyed by row and
# publication time; each request gets its own instance built from them.
_versions: dict[tuple[int, object], tuple[Any, ...]] = {}
_VERSION_FIELDS = [f.attname for f in SurveyVersion._meta.concrete_fields]


@cache
def _survey_sql(vendor: str) -> str:
    survey, version = _q(Survey._meta.db_table), _q(SurveyVersion._meta.db_table)
    return (
        f"SELECT s.*, v.{_q('published_at')} AS {_q('version_published_at')} "  # noqa: S608
        f"FROM {survey} s LEFT JOIN {version} v ON v.{_q('id')} = s.{_q('current_version_id')} "
        f"WHERE s.{_q('public_slug')} = %s"
    )


def find_survey_to_answer(slug: str) -> Survey | None:
    """The survey with ``slug`` and its current version, read fresh (its status, dates
    and count) with one statement that needs no compiling; the version, which never
    changes once published, comes from this process's memory after its first use.
    The brand kit is read only if a page shows it."""
    found = list(Survey.objects.raw(_survey_sql(connection.vendor), [slug]))
    if not found:
        return None
    survey = found[0]
    if survey.current_version_id is not None:
        key = (survey.current_version_id, survey.version_published_at)  # type: ignore[attr-defined]
        values = _versions.get(key)
        if values is None:
            values = tuple(SurveyVersion.objects.values_list(*_VERSION_FIELDS).get(
                pk=survey.current_version_id))
            if len(_versions) > 1000:
                _versions.clear()
            _versions[key] = values
        survey.current_version = SurveyVersion.from_db(connection.alias, _VERSION_FIELDS,
                                                       values)
    return survey


def completing_answers(survey: Survey, definition: Definition, screens: list[list[Question]],
                       screen: int, submitted: dict[str, Any]) -> dict[str, Any] | None:
    """The answers to store when ``submitted``, the first screen of a new response,
    completes the survey; None when it does not (a later screen follows, or an
    answer is refused or missing: the general path says which)."""
    questions = visible_on(screens[screen], {})
    keys = {q.key for q in questions}
    if any(key not in keys for key in submitted):
        return None
    checked = check_answers(definition, submitted, on_screen=questions, earlier={})
    if checked.problems:
        return None
    answers = drop_hidden(definition, dict(checked.answers))
    if next_screen(survey, definition, answers, screen) is not None:
        return None
    visible = _visible_keys(definition, answers)
    if any(q.required and q.key not in answers and q.key in visible
           for q in definition.questions):
        return None
    return answers


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


_RESPONSE_COLUMNS = ["created_at", "updated_at", "survey_id", "version_id", "language",
                     "channel", "status", "answers", "screen", "resume_key", "client_hash",
                     "address_hash", "answers_hash", "completed_at", "rewards"]
_ANSWER_COLUMNS = ["response_id", "survey_id", "question", "row", "number", "choice", "text"]


@cache
def _guard_sql(vendor: str) -> str:
    """Responses started from the address in the rate limit's window, and whether
    the same client completed the same answers in the duplicate window."""
    return (f"SELECT ({ratelimit.recent_sql(vendor)}), "
            f"EXISTS ({duplicate_sql(vendor)})")


@cache
def _insert_response_sql(vendor: str, returning: bool) -> str:
    columns = ", ".join(_q(c) for c in _RESPONSE_COLUMNS)
    values = ", ".join(["%s"] * len(_RESPONSE_COLUMNS))
    sql = f"INSERT INTO {_q(Response._meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608
    return sql + f" RETURNING {_q('id')}" if returning else sql


@cache
def _insert_answers_sql(vendor: str, count: int) -> str:
    columns = ", ".join(_q(c) for c in _ANSWER_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(_ANSWER_COLUMNS)) + ")"
    return (f"INSERT INTO {_q(Answer._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES {', '.join([row] * count)}")


@cache
def _count_sql(vendor: str) -> str:
    """Count a completion while the survey still accepts one (checked again, under
    the row's lock: it may have closed or filled up since the page read it)."""
    return (
        f"UPDATE {_q(Survey._meta.db_table)} "  # noqa: S608
        f"SET {_q('completed_count')} = {_q('completed_count')} + 1 "
        f"WHERE {_q('id')} = %s AND {_q('status')} = %s "
        f"AND ({_q('opens_at')} IS NULL OR {_q('opens_at')} <= %s) "
        f"AND ({_q('closes_at')} IS NULL OR {_q('closes_at')} > %s) "
        f"AND ({_q('quota')} IS NULL OR {_q('completed_count')} < {_q('quota')})"
    )


@cache
def _rewards_sql(vendor: str) -> str:
    return (f"UPDATE {_q(Response._meta.db_table)} SET {_q('rewards')} = %s "  # noqa: S608
            f"WHERE {_q('id')} = %s")


def _json(model: type[Response], name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def complete_anonymous(
    *,
    survey: Survey,
    version: SurveyVersion,
    definition: Definition,
    answers: dict[str, Any],
    language: str,
    channel: str,
    client_hash: str,
    address_hash: str,
    rate_limit: int,
) -> Completed:
    """Write a new anonymous response, completed with ``answers`` (checked and
    complete: see :func:`completing_answers`), in one transaction.

    Raises RateLimited when the address already started ``rate_limit``
    responses to the survey in the last hour, DomainError
    ``duplicate_submission`` for the same answers from the same client within
    a day, and SurveyUnavailable when the survey is closed or its quota is
    reached. Nothing is written when any is raised.
    """
    now = timezone.now()
    language = language if language in survey.languages else survey.default_language
    answers_hash = _answers_hash(answers)
    resume_key = _nonce()
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    response = Response(
        survey=survey, version=version, language=language, channel=channel,
        status=Response.Status.COMPLETED, answers=answers, screen=0, resume_key=resume_key,
        client_hash=client_hash, address_hash=address_hash, answers_hash=answers_hash,
        created_at=now, updated_at=now, completed_at=now, rewards=[])
    response._state.adding = False
    rows = [(a.question, a.row, a.number, a.choice, a.text)
            for a in answer_rows(response, definition)]
    returning = connection.features.can_return_columns_from_insert
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_guard_sql(connection.vendor), [
                survey.pk, address_hash, ratelimit.minute_of(now) - ratelimit.WINDOW_MINUTES,
                survey.pk, client_hash, answers_hash, Response.Status.COMPLETED,
                ops.adapt_datetimefield_value(now - timedelta(hours=DUPLICATE_WINDOW_HOURS))])
            recent, duplicate = cursor.fetchone()
            if address_hash and recent >= rate_limit:
                raise RateLimited(_("Too many responses came from your network. Please try "
                                    "again later."))
            if client_hash and duplicate:
                raise DomainError(_("These answers were already received from you."),
                                  code="duplicate_submission", status=409)
            cursor.execute(_insert_response_sql(connection.vendor, returning), [
                stamp, stamp, survey.pk, version.pk, language, channel,
                Response.Status.COMPLETED, _json(Response, "answers", answers), 0, resume_key,
                client_hash, address_hash, answers_hash, stamp, _json(Response, "rewards", [])])
            response.pk = (cursor.fetchone()[0] if returning
                           else ops.last_insert_id(cursor, Response._meta.db_table, "id"))
            if rows:
                cursor.execute(_insert_answers_sql(connection.vendor, len(rows)),
                               [value for row in rows for value in (response.pk, survey.pk, *row)])
        sent = signals.response_completed.send(
            sender=Response, response_pk=response.pk, survey_pk=survey.pk, customer_pk=None)
        rewards = [{"label": str(reward.label), "points": reward.points}
                   for _receiver, reward in sent if isinstance(reward, signals.Reward)]
        if rewards:
            response.rewards = rewards
            with connection.cursor() as cursor:
                cursor.execute(_rewards_sql(connection.vendor),
                               [_json(Response, "rewards", rewards), response.pk])
        response_completed_event(response)
        # Counted last: every new response from the address updates its count's row,
        # and every completion the survey's row, so (on PostgreSQL) their locks are
        # held for as short a time as possible (a refusal rolls all back).
        ratelimit.count_start(survey_pk=survey.pk, address_hash=address_hash, now=now)
        with connection.cursor() as cursor:
            cursor.execute(_count_sql(connection.vendor),
                           [survey.pk, Survey.Status.LIVE, stamp, stamp])
            if cursor.rowcount != 1:
                survey.refresh_from_db()
                raise SurveyUnavailable(is_open(survey, now=now) or _(
                    "This survey has received all the responses it needs. Thank you!"))
    return Completed(response_pk=response.pk, resume_key=resume_key, rewards=rewards)

