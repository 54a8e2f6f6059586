"""The ledger's hot statements, in plain SQL.

Every earn and redemption runs these under a row lock. Compiling the same ORM
queries each time cost more CPU than the database spent running them, and the
lock is held meanwhile; so they are written once here. Only quoted model
metadata goes into the SQL text; values are always parameters.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from django.db import connection

from dangol.customers.models import Customer
from dangol.loyalty.models import Account, Entry, Lot


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: type[Account] | type[Entry] | type[Lot] | type[Customer]) -> str:
    return _q(model._meta.db_table)


_ACCOUNT_COLUMNS = ["id", "program_id", "customer_id", "balance", "debt", "lifetime_earned"]
_LOT_COLUMNS = ["id", "account_id", "entry_id", "points", "remaining", "expires_at", "available_at"]


@cache
def _lock_sql(vendor: str, for_update: bool) -> str:
    account, entry = _table(Account), _table(Entry)
    columns = ", ".join(f"a.{_q(c)}" for c in _ACCOUNT_COLUMNS)
    return (
        f"SELECT {columns}, (SELECT e.{_q('id')} FROM {entry} e "  # noqa: S608
        f"WHERE e.{_q('program_id')} = %s AND e.{_q('idempotency_key')} = %s LIMIT 1) "
        f"AS {_q('earlier_id')} FROM {account} a "
        f"WHERE a.{_q('program_id')} = %s AND a.{_q('customer_id')} = %s"
        + (" FOR UPDATE OF a" if for_update else "")
    )


def lock_account_row(*, program_id: int, customer_pk: int, key: str | None) -> Account | None:
    """The account, locked, with ``earlier_id`` (the entry written under ``key``, if any)."""
    sql = _lock_sql(connection.vendor, connection.features.has_select_for_update)
    with connection.cursor() as cursor:
        cursor.execute(sql, [program_id, key, program_id, customer_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    account = Account.from_db(connection.alias, _ACCOUNT_COLUMNS, row[:-1])
    account.earlier_id = row[-1]  # type: ignore[attr-defined]
    return account


_ENTRY_COLUMNS = [
    "program_id",
    "account_id",
    "kind",
    "source",
    "source_ref",
    "amount",
    "points",
    "debt_delta",
    "balance_after",
    "idempotency_key",
    "expires_at",
    "available_at",
    "reverses_id",
    "reason",
    "staff_id",
    "actor_label",
    "at",
]
_NEW_LOT_COLUMNS = ["account_id", "entry_id", "points", "remaining", "expires_at", "available_at"]


@cache
def _entry_sql(vendor: str) -> str:
    return (
        f"INSERT INTO {_table(Entry)} ({', '.join(_q(c) for c in _ENTRY_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_ENTRY_COLUMNS))}) RETURNING {_q('id')}"
    )


@cache
def _lot_sql(vendor: str) -> str:
    return (
        f"INSERT INTO {_table(Lot)} ({', '.join(_q(c) for c in _NEW_LOT_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_NEW_LOT_COLUMNS))})"
    )


@cache
def _account_sql(vendor: str) -> str:
    sets = ", ".join(f"{_q(c)} = %s" for c in ("balance", "debt", "lifetime_earned", "updated_at"))
    return f"UPDATE {_table(Account)} SET {sets} WHERE {_q('id')} = %s"  # noqa: S608


@lru_cache(maxsize=64)
def _write_sql(vendor: str, new_lot: bool, changed_lots: int) -> str:
    """PostgreSQL: the entry, its lot, the spent lots and the account in one statement.

    Data-modifying CTEs all run, whether or not the final SELECT reads them, so
    one round trip does what otherwise takes three or four.
    """
    parts = [
        f"e AS (INSERT INTO {_table(Entry)} ({', '.join(_q(c) for c in _ENTRY_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_ENTRY_COLUMNS))}) RETURNING {_q('id')})"
    ]
    if new_lot:
        values = ", ".join(["%s"] * (len(_NEW_LOT_COLUMNS) - 2))
        parts.append(
            f"l AS (INSERT INTO {_table(Lot)} ({', '.join(_q(c) for c in _NEW_LOT_COLUMNS)}) "  # noqa: S608
            f"SELECT %s, e.{_q('id')}, {values} FROM e)"
        )
    if changed_lots:
        rows = ", ".join(["(%s::bigint, %s::integer)"] * changed_lots)
        parts.append(
            f"s AS (UPDATE {_table(Lot)} SET {_q('remaining')} = v.r FROM (VALUES {rows}) "  # noqa: S608
            f"AS v(i, r) WHERE {_table(Lot)}.{_q('id')} = v.i)"
        )
    sets = ", ".join(f"{_q(c)} = %s" for c in ("balance", "debt", "lifetime_earned", "updated_at"))
    parts.append(f"a AS (UPDATE {_table(Account)} SET {sets} WHERE {_q('id')} = %s)")  # noqa: S608
    return f"WITH {', '.join(parts)} SELECT {_q('id')} FROM e"  # noqa: S608


def _dt(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def write_entry(
    entry: Entry, *, lot_points: int, now: datetime, changed_lots: Sequence[Lot] = ()
) -> Entry:
    """Insert ``entry`` (and its lot when ``lot_points`` > 0), store the account's figures
    and the new ``remaining`` of ``changed_lots`` (the lots a redemption took from).

    ``entry.account`` must hold the new balance, debt and total already. On
    PostgreSQL this is one statement; elsewhere one per row.
    """
    account = entry.account
    entry_values = [
        entry.program_id,
        account.pk,
        entry.kind,
        entry.source,
        entry.source_ref,
        entry.amount,
        entry.points,
        entry.debt_delta,
        entry.balance_after,
        entry.idempotency_key,
        _dt(entry.expires_at),
        _dt(entry.available_at),
        entry.reverses_id,
        entry.reason,
        entry.staff_id,
        entry.actor_label,
        _dt(entry.at),
    ]
    lot_values = [lot_points, entry.points, _dt(entry.expires_at), _dt(entry.available_at)]
    account_values = [account.balance, account.debt, account.lifetime_earned, _dt(now)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params = list(entry_values)
            if lot_points > 0:
                params += [account.pk, *lot_values]
            for lot in changed_lots:
                params += [lot.pk, lot.remaining]
            params += [*account_values, account.pk]
            cursor.execute(_write_sql(connection.vendor, lot_points > 0, len(changed_lots)), params)
            entry.pk = cursor.fetchone()[0]
        else:
            if changed_lots:
                set_lot_remaining(list(changed_lots))
            cursor.execute(_entry_sql(connection.vendor), entry_values)
            entry.pk = cursor.fetchone()[0]
            if lot_points > 0:
                cursor.execute(_lot_sql(connection.vendor), [account.pk, entry.pk, *lot_values])
            cursor.execute(_account_sql(connection.vendor), [*account_values, account.pk])
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


@cache
def _lots_sql(vendor: str) -> str:
    columns = ", ".join(_q(c) for c in _LOT_COLUMNS)
    return (
        f"SELECT {columns} FROM {_table(Lot)} "  # noqa: S608
        f"WHERE {_q('account_id')} = %s AND {_q('remaining')} > 0 "
        f"ORDER BY {_q('expires_at')}, {_q('id')} LIMIT %s OFFSET %s"
    )


def live_lots_page(*, account_id: int, offset: int, limit: int) -> list[Lot]:
    """Unspent lots of an account in FIFO order (earliest expiry first), one page."""
    with connection.cursor() as cursor:
        cursor.execute(_lots_sql(connection.vendor), [account_id, limit, offset])
        rows = cursor.fetchall()
    converters = _lot_converters(connection.vendor)
    return [Lot.from_db(connection.alias, _LOT_COLUMNS, _convert(row, converters)) for row in rows]


@cache
def _lot_converters(vendor: str) -> list[list[Any]]:
    fields = {f.attname: f for f in Lot._meta.concrete_fields}
    return [
        connection.ops.get_db_converters(fields[c].get_col(Lot._meta.db_table))
        for c in _LOT_COLUMNS
    ]


def _convert(row: tuple[Any, ...], converters: list[list[Any]]) -> list[Any]:
    """Apply the backend's converters (SQLite returns datetimes as text)."""
    values = list(row)
    for index, funcs in enumerate(converters):
        for func in funcs:
            values[index] = func(values[index], None, connection)
    return values


@cache
def _lot_remaining_sql(vendor: str) -> str:
    return (
        f"UPDATE {_table(Lot)} SET {_q('remaining')} = %s "  # noqa: S608
        f"WHERE {_q('id')} = %s"
    )


def set_lot_remaining(lots: list[Lot]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(
            _lot_remaining_sql(connection.vendor), [(lot.remaining, lot.pk) for lot in lots]
        )


@cache
def _create_account_sql(vendor: str) -> str:
    columns = [
        "program_id",
        "customer_id",
        "balance",
        "debt",
        "lifetime_earned",
        "created_at",
        "updated_at",
    ]
    sql = (
        f"INSERT INTO {_table(Account)} ({', '.join(_q(c) for c in columns)}) "  # noqa: S608
        f"SELECT %s, %s, 0, 0, 0, %s, %s WHERE EXISTS (SELECT 1 FROM "
        f"{_table(Customer)} WHERE {_q('id')} = %s) "
        f"ON CONFLICT ({_q('program_id')}, {_q('customer_id')}) DO NOTHING"
    )
    if vendor != "postgresql":
        return sql
    # Like the lock query, also the entry an earlier request with the key wrote.
    back = ", ".join(_q(c) for c in _ACCOUNT_COLUMNS)
    return (
        f"{sql} RETURNING {back}, (SELECT e.{_q('id')} FROM {_table(Entry)} e "  # noqa: S608
        f"WHERE e.{_q('program_id')} = %s AND e.{_q('idempotency_key')} = %s LIMIT 1)"
    )


def create_account_row(
    *, program_id: int, customer_pk: int, now: datetime, key: str | None = None
) -> Account | None:
    """Open the customer's account unless it exists (or the customer does not).

    On PostgreSQL, returns the new account (with ``earlier_id`` as
    ``lock_account_row`` gives it): a row this transaction inserted is its own
    until it commits, so no lock query is needed. None: it existed already,
    the customer does not, or another database (call ``lock_account_row``).
    """
    params: list[Any] = [program_id, customer_pk, _dt(now), _dt(now), customer_pk]
    returning = connection.vendor == "postgresql"
    if returning:
        params += [program_id, key]
    with connection.cursor() as cursor:
        cursor.execute(_create_account_sql(connection.vendor), params)
        row = cursor.fetchone() if returning else None
    if row is None:
        return None
    account = Account.from_db(connection.alias, _ACCOUNT_COLUMNS, row[:-1])
    account.earlier_id = row[-1]  # type: ignore[attr-defined]
    return account
