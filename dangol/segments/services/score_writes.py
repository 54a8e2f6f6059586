"""Writing scores fast: one upsert statement per block of rows, no model instances.

SQLite gets ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE``; PostgreSQL
gets ``COPY`` into a temporary table and one ``INSERT … SELECT … ON CONFLICT``.
A row is only overwritten by a score of the same or a later run (``scored_at``),
so a late chunk of an old run never replaces a newer score. Call inside a
transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    """Upsert one score per customer of ``summaries``; returns the number of rows sent."""
    if summaries.size == 0:
        return 0
    columns = _columns(summaries, scores)
    if connection.vendor == "postgresql":
        _copy_upsert(columns, scored_at)
    else:
        _executemany_upsert(columns, scored_at)
    return summaries.size


def delete_scores_before(*, scored_at: datetime, first_pk: int | None = None,
                         last_pk: int | None = None) -> int:
    """Delete scores older than ``scored_at`` (of customer keys first..last when given)."""
    stale = CustomerScore.objects.filter(scored_at__lt=scored_at)
    if first_pk is not None and last_pk is not None:
        stale = stale.filter(customer_id__range=(first_pk, last_pk))
    deleted, _ = stale.delete()
    return deleted


def _money(values: np.ndarray | None) -> list[float | None] | None:
    if values is None:
        return None
    rounded = np.round(values, 2)
    return [v if np.isfinite(v) else None for v in rounded.tolist()]


def _floats(values: np.ndarray | None) -> list[float | None] | None:
    if values is None:
        return None
    return [v if v == v and abs(v) != float("inf") else None for v in values.tolist()]


def _columns(summaries: Summaries, scores: Scores) -> list[list[object] | None]:
    """The values of COLUMNS except scored_at, column by column (None: all null)."""
    repeat = summaries.purchase_days > 1
    repeat_spend = np.round(summaries.repeat_spend, 2).tolist()
    return [
        summaries.customer_ids.tolist(),
        (summaries.purchase_days - 1).tolist(),
        summaries.recency_days.tolist(),
        summaries.T_days.tolist(),
        np.round(summaries.average_order_value, 2).tolist(),
        [v if r else None for v, r in zip(repeat_spend, repeat.tolist(), strict=True)],
        summaries.order_count.tolist(),
        (summaries.total_cents / 100.0).tolist(),
        summaries.last_order_us.tolist(),  # turned into each database's text below
        scores.R.tolist(),
        scores.F.tolist(),
        scores.M.tolist(),
        [SEGMENT_CODES[c] for c in scores.segment_codes.tolist()],
        _floats(scores.expected_90d),
        _floats(scores.p_alive),
        _money(scores.value_12m),
        scores.churn_risk.tolist(),
    ]


def _sqlite_datetimes(micros: list[int]) -> list[str]:
    """UTC text as Django's SQLite backend writes it: 'YYYY-MM-DD HH:MM:SS[.ffffff]'."""
    array = np.asarray(micros, dtype=np.int64)
    seconds = np.datetime_as_string(array.astype("datetime64[us]").astype("datetime64[s]"))
    fraction = (array % 1_000_000).tolist()
    return [s.replace("T", " ") + (f".{f:06d}" if f else "")
            for s, f in zip(seconds.tolist(), fraction, strict=True)]


def _rows(columns: list[list[object] | None], n: int) -> Iterator[tuple[object, ...]]:
    filled = [c if c is not None else [None] * n for c in columns]
    return zip(*filled, strict=True)


def _upsert_tail(table: str, quoted: list[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in quoted[1:])
    return (f" ON CONFLICT (customer_id) DO UPDATE SET {updates} "
            f"WHERE {table}.scored_at <= excluded.scored_at")


def _executemany_upsert(columns: list[list[object] | None], scored_at: datetime) -> None:
    qn = connection.ops.quote_name
    table = qn(CustomerScore._meta.db_table)
    quoted = [qn(c) for c in COLUMNS]
    columns = list(columns)
    columns[8] = _sqlite_datetimes(columns[8])  # type: ignore[arg-type]
    n = len(columns[0])  # type: ignore[arg-type]
    stamp = connection.ops.adapt_datetimefield_value(scored_at)
    columns.append([stamp] * n)
    sql = (f"INSERT INTO {table} ({', '.join(quoted)}) VALUES "  # noqa: S608
           f"({', '.join(['%s'] * len(quoted))})" + _upsert_tail(table, quoted))
    rows = list(_rows(columns, n))
    with connection.cursor() as cursor:
        for start in range(0, n, _BLOCK):
            cursor.executemany(sql, rows[start : start + _BLOCK])


def _copy_text(value: object) -> str:
    return "\\N" if value is None else str(value)


def _copy_upsert(columns: list[list[object] | None], scored_at: datetime) -> None:
    qn = connection.ops.quote_name
    table = qn(CustomerScore._meta.db_table)
    quoted = [qn(c) for c in COLUMNS]
    columns = list(columns)
    micros = np.asarray(columns[8], dtype=np.int64)
    columns[8] = [s + "+00" for s in np.datetime_as_string(micros.astype("datetime64[us]"))
                  .tolist()]
    n = len(columns[0])  # type: ignore[arg-type]
    columns.append([scored_at.isoformat()] * n)
    names = ", ".join(quoted)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE scores_in ON COMMIT DROP AS "  # noqa: S608
                       f"SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY scores_in ({names}) FROM STDIN") as copy:
            rows = list(_rows(columns, n))
            for start in range(0, n, _BLOCK):
                copy.write("".join(
                    "\t".join(map(_copy_text, row)) + "\n" for row in rows[start : start + _BLOCK]
                ))
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM scores_in"  # noqa: S608
                       + _upsert_tail(table, quoted))
        cursor.execute("DROP TABLE scores_in")
