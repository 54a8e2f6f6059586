"""Writing scores fast: one upsert statement per block of rows, no model instances.

SQLite gets ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE``; PostgreSQL
gets ``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT``.
A row is only overwritten by a score of the same or a later run (``scored_at``),
so a late chunk of an old run never replaces a newer score. Call inside a
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import numpy as np
from django.db import connection

from dangol.segments.models import CustomerScore
from dangol.segments.services.scoring_plan import SEGMENT_CODES, Scores
from dangol.segments.services.summaries import Summaries

_BLOCK = 20_000

COLUMNS = (
    "customer_id", "frequency", "recency_days", "T_days", "monetary", "repeat_spend",
    "order_count", "total_spent", "last_order_at", "R", "F", "M", "rfm_segment",
    "expected_purchases_90d", "p_alive", "predicted_value_12m", "churn_risk", "scored_at",
)


def write_scores(*, summaries: Summaries, scores: Scores, scored_at: datetime) -> int:
    """Upsert one score per customer of ``summaries``; returns the number of rows sent.

    Python values are made one block of rows at a time, so memory stays flat.
    """
    n = summaries.size
    if n == 0:
        return 0
    arrays = _arrays(summaries, scores)
    if connection.vendor == "postgresql":
        _copy_upsert(arrays, n, scored_at)
    else:
        _executemany_upsert(arrays, n, scored_at)
    return n


def delete_scores_before(*, scored_at: datetime, first_pk: int | None = None,
                         last_pk: int | None = None) -> int:
    """Delete scores older than ``scored_at`` (of customer keys first..last when given)."""
    stale = CustomerScore.objects.filter(scored_at__lt=scored_at)
    if first_pk is not None and last_pk is not None:
        stale = stale.filter(customer_id__range=(first_pk, last_pk))
    deleted, _ = stale.delete()
    return deleted


Column = np.ndarray | None  # None: null for every row


def _finite_or_nan(values: np.ndarray | None, decimals: int | None = None) -> Column:
    if values is None:
        return None
    clean = np.where(np.isfinite(values), values, np.nan)
    return np.round(clean, decimals) if decimals is not None else clean


def _arrays(summaries: Summaries, scores: Scores) -> list[Column]:
    """The values of COLUMNS except scored_at, as arrays; nan stands for null."""
    repeat_spend = np.where(summaries.purchase_days > 1, np.round(summaries.repeat_spend, 2),
                            np.nan)
    return [
        summaries.customer_ids,
        summaries.purchase_days - 1,
        summaries.recency_days,
        summaries.T_days,
        np.round(summaries.average_order_value, 2),
        repeat_spend,
        summaries.order_count,
        summaries.total_cents / 100.0,
        summaries.last_order_us,  # turned into each database's text per block
        scores.R,
        scores.F,
        scores.M,
        np.asarray(SEGMENT_CODES, dtype=object)[scores.segment_codes],
        _finite_or_nan(scores.expected_90d),
        _finite_or_nan(scores.p_alive),
        _finite_or_nan(scores.value_12m, 2),
        scores.churn_risk,
    ]


_NULLABLE = {5, 13, 14, 15}
_LAST_ORDER = 8


def _block(arrays: list[Column], start: int, stop: int,
           datetimes: Callable[[np.ndarray], list[str]], stamp: str) -> Iterator[tuple]:
    """Rows start..stop as tuples of Python values (None for null), scored_at last."""
    size = stop - start
    columns: list[list[object]] = []
    for index, array in enumerate(arrays):
        if array is None:
            columns.append([None] * size)
        elif index == _LAST_ORDER:
            columns.append(datetimes(array[start:stop]))  # type: ignore[arg-type]
        elif index in _NULLABLE:
            columns.append([v if v == v else None for v in array[start:stop].tolist()])
        else:
            columns.append(array[start:stop].tolist())
    columns.append([stamp] * size)
    return zip(*columns, strict=True)


def _sqlite_datetimes(micros: np.ndarray) -> list[str]:
    """UTC text as Django's SQLite backend writes it: 'YYYY-MM-DD HH:MM:SS[.ffffff]'."""
    array = np.asarray(micros, dtype=np.int64)
    seconds = np.datetime_as_string(array.astype("datetime64[us]").astype("datetime64[s]"))
    fraction = (array % 1_000_000).tolist()
    return [s.replace("T", " ") + (f".{f:06d}" if f else "")
            for s, f in zip(seconds.tolist(), fraction, strict=True)]


def _postgres_datetimes(micros: np.ndarray) -> list[str]:
    text = np.datetime_as_string(np.asarray(micros, dtype=np.int64).astype("datetime64[us]"))
    return [t + "+00" for t in text.tolist()]


def _upsert_tail(table: str, quoted: list[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in quoted[1:])
    return (f" ON CONFLICT (customer_id) DO UPDATE SET {updates} "
            f"WHERE {table}.scored_at <= excluded.scored_at")


def _executemany_upsert(arrays: list[Column], n: int, scored_at: datetime) -> None:
    qn = connection.ops.quote_name
    table = qn(CustomerScore._meta.db_table)
    quoted = [qn(c) for c in COLUMNS]
    stamp = connection.ops.adapt_datetimefield_value(scored_at)
    sql = (f"INSERT INTO {table} ({', '.join(quoted)}) VALUES "  # noqa: S608
           f"({', '.join(['%s'] * len(quoted))})" + _upsert_tail(table, quoted))
    with connection.cursor() as cursor:
        for start in range(0, n, _BLOCK):
            rows = _block(arrays, start, min(start + _BLOCK, n), _sqlite_datetimes, stamp)
            cursor.executemany(sql, list(rows))


def _copy_text(value: object) -> str:
    return "\\N" if value is None else str(value)


def _copy_upsert(arrays: list[Column], n: int, scored_at: datetime) -> None:
    qn = connection.ops.quote_name
    table = qn(CustomerScore._meta.db_table)
    quoted = [qn(c) for c in COLUMNS]
    names = ", ".join(quoted)
    stamp = scored_at.isoformat()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE scores_in ON COMMIT DROP AS "  # noqa: S608
                       f"SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY scores_in ({names}) FROM STDIN") as copy:
            for start in range(0, n, _BLOCK):
                rows = _block(arrays, start, min(start + _BLOCK, n), _postgres_datetimes, stamp)
                copy.write("".join("\t".join(map(_copy_text, row)) + "\n" for row in rows))
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM scores_in"  # noqa: S608
                       + _upsert_tail(table, quoted))
        cursor.execute("DROP TABLE scores_in")
