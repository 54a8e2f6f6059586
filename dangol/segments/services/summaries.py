"""Per-customer purchase summaries, read column-wise: one SQL query, then numpy.

The query returns one row of four integers per purchase (customer key, UTC
microseconds, amount in cents); purchase days in the business time zone, the
per-customer counts, sums and first-day spend are then computed with a sort
and a few ``reduceat`` passes, without a Python object per customer. A range
of customer keys reads only that range (the ``(customer, ordered_at)`` index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.utils import timezone

from dangol.customers.models import Order, OrderStatus

# Orders that did not end in a sale do not count as purchases.
NOT_PURCHASES = (OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value)

_MICROS = 1_000_000
_DAY_SECONDS = 86_400
_FETCH_ROWS = 200_000

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Summaries:
    """One entry per customer with a purchase, sorted by customer key.

    Days are whole days since 1970-01-01 in the business time zone; money is
    in cents (hundredths of the currency unit) so that sums are exact.
    """

    today: int
    customer_ids: Ints
    order_count: Ints
    purchase_days: Ints
    first_day: Ints
    last_day: Ints
    total_cents: Ints
    first_day_cents: Ints
    last_order_us: Ints

    @property
    def size(self) -> int:
        return int(self.customer_ids.shape[0])

    @property
    def frequency(self) -> Floats:
        """Repeat purchases: purchase days after the first, as in the literature."""
        return (self.purchase_days - 1).astype(np.float64)

    @property
    def recency_days(self) -> Floats:
        return (self.last_day - self.first_day).astype(np.float64)

    @property
    def T_days(self) -> Floats:
        return (self.today - self.first_day).astype(np.float64)

    @property
    def days_since_last(self) -> Ints:
        return self.today - self.last_day

    @property
    def average_order_value(self) -> Floats:
        return self.total_cents / 100.0 / np.maximum(self.order_count, 1)

    @property
    def repeat_spend(self) -> Floats:
        """Mean spend per repeat purchase day (0 without one): Gamma-Gamma's z̄."""
        repeat_days = self.purchase_days - 1
        spend = (self.total_cents - self.first_day_cents) / 100.0
        return np.divide(spend, repeat_days, out=np.zeros(self.size),
                         where=repeat_days > 0)


def read_summaries(
    *, as_of: datetime, first_pk: int | None = None, last_pk: int | None = None
) -> Summaries:
    """Summarise the purchases up to ``as_of`` of every customer (or of keys first..last)."""
    customer, micros, cents = _purchases(as_of, first_pk, last_pk)
    today = int(np.datetime64(timezone.localdate(as_of), "D").astype(np.int64))
    return summarise(customer=customer, micros=micros, cents=cents, today=today,
                     zone=timezone.get_current_timezone())


def summarise(*, customer: Ints, micros: Ints, cents: Ints, today: int, zone: object) -> Summaries:
    """Per-customer summary of purchase rows (customer key, UTC microseconds, cents)."""
    day = local_days(micros // _MICROS, zone)
    # Sort by customer, then day; rows of one customer become one run.
    order = np.lexsort((day, customer))
    customer, day, cents, micros = customer[order], day[order], cents[order], micros[order]
    n_rows = int(customer.shape[0])
    if n_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Summaries(today, empty, empty, empty, empty, empty, empty, empty, empty)
    new_customer = np.empty(n_rows, dtype=np.bool_)
    new_customer[0] = True
    np.not_equal(customer[1:], customer[:-1], out=new_customer[1:])
    new_day = new_customer.copy()
    new_day[1:] |= day[1:] != day[:-1]
    starts = np.flatnonzero(new_customer)
    ends = np.append(starts[1:], n_rows) - 1
    counts = ends - starts + 1
    owner = np.repeat(np.arange(starts.shape[0]), counts)
    first_day = day[starts]
    on_first_day = day == first_day[owner]
    return Summaries(
        today=today,
        customer_ids=customer[starts].astype(np.int64),
        order_count=counts.astype(np.int64),
        purchase_days=np.add.reduceat(new_day.astype(np.int64), starts),
        first_day=first_day.astype(np.int64),
        last_day=day[ends].astype(np.int64),
        total_cents=np.add.reduceat(cents, starts),
        first_day_cents=np.add.reduceat(np.where(on_first_day, cents, 0), starts),
        last_order_us=np.maximum.reduceat(micros, starts),
    )


def local_days(seconds: Ints, zone: object) -> Ints:
    """Days since 1970-01-01 in ``zone`` of UTC instants given in epoch seconds.

    The UTC offset is looked up once per UTC day; on the rare days when it
    changes (daylight saving), each instant of that day is looked up itself.
    """
    if seconds.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
    utc_day = seconds // _DAY_SECONDS
    low = int(utc_day.min())
    span = int(utc_day.max()) - low + 2
    offsets = np.array([_offset(tz, (low + d) * _DAY_SECONDS) for d in range(span)],
                       dtype=np.int64)
    shifted = seconds + offsets[utc_day - low]
    changing = np.flatnonzero(offsets[1:] != offsets[:-1])
    if changing.size:
        rows = np.flatnonzero(np.isin(utc_day - low, changing))
        shifted[rows] = [s + _offset(tz, s) for s in seconds[rows].tolist()]
    return shifted // _DAY_SECONDS


def _offset(tz: ZoneInfo, epoch_seconds: int) -> int:
    moment = datetime.fromtimestamp(epoch_seconds, UTC).astimezone(tz)
    delta = moment.utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def _purchases(as_of: datetime, first_pk: int | None, last_pk: int | None) -> tuple[Ints, ...]:
    """Columns (customer key, UTC microseconds, cents) of the purchases, in one query."""
    table = connection.ops.quote_name(Order._meta.db_table)
    if connection.vendor == "postgresql":
        columns = ("customer_id, (EXTRACT(EPOCH FROM ordered_at) * 1000000)::bigint, "
                   "ROUND(total_amount * 100)::bigint")
    else:
        # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
        columns = ("customer_id, CAST(strftime('%%s', ordered_at) AS INTEGER) * 1000000 "
                   "+ CAST(substr(ordered_at, 21) AS INTEGER), "
                   "CAST(ROUND(total_amount * 100) AS INTEGER)")
    sql = f"SELECT {columns} FROM {table} WHERE ordered_at <= %s AND status NOT IN (%s, %s)"  # noqa: S608
    params: list[object] = [connection.ops.adapt_datetimefield_value(as_of), *NOT_PURCHASES]
    if first_pk is not None and last_pk is not None:
        sql += " AND customer_id BETWEEN %s AND %s"
        params += [first_pk, last_pk]
    blocks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            blocks.append(np.array(rows, dtype=np.int64).reshape(-1, 3))
    data = np.concatenate(blocks) if blocks else np.zeros((0, 3), dtype=np.int64)
    return data[:, 0].copy(), data[:, 1].copy(), data[:, 2].copy()
