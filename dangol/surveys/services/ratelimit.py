"""The per-address limit on new anonymous responses, counted per minute.

Each new response started from an address adds one to that address's count
for the current minute (:class:`~dangol.surveys.models.AddressCount`); the
limit reads the counts of the last hour: at most 61 rows, however many
responses the address sent (a busy office, or every respondent behind one
proxy with the limit raised). Counts older than the window are deleted as new
minutes begin. Shared by every web process, as the database is.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from dangol.surveys.models import AddressCount

#: The window is this many whole minutes before the current one, plus the current one:
#: a little over an hour, never less.
WINDOW_MINUTES = 60


def minute_of(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def recent_sql(vendor: str) -> str:
    """Parameters: survey id, address hash, first minute of the window."""
    return (
        f"SELECT COALESCE(SUM({_q('started')}), 0) FROM {_q(AddressCount._meta.db_table)} "  # noqa: S608
        f"WHERE {_q('survey_id')} = %s AND {_q('address_hash')} = %s AND {_q('minute')} >= %s"
    )


@cache
def _add_sql(vendor: str, returning: bool) -> str:
    table = _q(AddressCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({_q('survey_id')}, {_q('address_hash')}, {_q('minute')}, "  # noqa: S608
        f"{_q('started')}) VALUES (%s, %s, %s, 1) "
        f"ON CONFLICT ({_q('survey_id')}, {_q('address_hash')}, {_q('minute')}) "
        f"DO UPDATE SET {_q('started')} = {table}.{_q('started')} + 1"
    )
    return sql + f" RETURNING {_q('started')}" if returning else sql


@cache
def _expire_sql(vendor: str) -> str:
    return (f"DELETE FROM {_q(AddressCount._meta.db_table)} "  # noqa: S608
            f"WHERE {_q('minute')} < %s")


def started_recently(*, survey_pk: int, address_hash: str, now: datetime) -> int:
    """New responses started from the address in the window."""
    with connection.cursor() as cursor:
        cursor.execute(recent_sql(connection.vendor),
                       [survey_pk, address_hash, minute_of(now) - WINDOW_MINUTES])
        return int(cursor.fetchone()[0])


def count_start(*, survey_pk: int, address_hash: str, now: datetime) -> None:
    """Count one new response from the address; call in the transaction that creates it."""
    if not address_hash:
        return
    minute = minute_of(now)
    returning = connection.features.can_return_columns_from_insert
    with connection.cursor() as cursor:
        cursor.execute(_add_sql(connection.vendor, returning), [survey_pk, address_hash, minute])
        first_this_minute = cursor.fetchone()[0] == 1 if returning else True
        if first_this_minute:
            cursor.execute(_expire_sql(connection.vendor), [minute - WINDOW_MINUTES])
