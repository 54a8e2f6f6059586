"""Cohort retention: customers grouped by the month of their first order.

The counting happens in the database (one grouped query); Python only lays the
few hundred resulting numbers out as a table.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DateTimeField, F, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dangol.customers.models import Order, OrderStatus

EXCLUDED = (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


@dataclass(frozen=True)
class CohortRow:
    cohort: date
    size: int
    repeat_rate: float  # share of the cohort that ordered in a later month
    retention: list[float | None]  # by months since the first order; None = not yet


@dataclass(frozen=True)
class RetentionTable:
    rows: list[CohortRow]
    months: int

    def average_by_month(self) -> list[float | None]:
        """Size-weighted mean retention for each month offset, over cohorts old enough."""
        out: list[float | None] = []
        for k in range(self.months):
            pairs = [(r.retention[k], r.size) for r in self.rows
                     if k < len(r.retention) and r.retention[k] is not None]
            total = sum(size for _, size in pairs)
            out.append(sum(v * s for v, s in pairs) / total if total else None)  # type: ignore[operator,misc]
        return out


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def cohort_retention(*, months: int = 12, cohorts: int = 12) -> RetentionTable:
    """Share of each first-order-month cohort that ordered again k months later.

    Cancelled and refunded orders do not count. Shows the latest ``cohorts``
    cohorts and up to ``months`` months after the first.
    """
    orders = Order.objects.exclude(status__in=EXCLUDED)
    first = orders.filter(customer=OuterRef("customer")).order_by("ordered_at").values(
        "ordered_at")[:1]
    dated = orders.annotate(
        cohort=TruncMonth(Subquery(first, output_field=DateTimeField())),
        month=TruncMonth("ordered_at"),
    )
    active: dict[date, dict[int, int]] = {}
    for row in dated.values("cohort", "month").annotate(n=Count("customer_id", distinct=True)):
        cohort, month = _as_date(row["cohort"]), _as_date(row["month"])
        active.setdefault(cohort, {})[_month_index(month) - _month_index(cohort)] = row["n"]
    repeaters = {
        _as_date(cohort): n
        for cohort, n in dated.filter(month__gt=F("cohort")).values("cohort")
        .annotate(n=Count("customer_id", distinct=True)).values_list("cohort", "n")
    }
    if not active:
        return RetentionTable([], months)
    latest = max(_month_index(c) + max(m) for c, m in active.items())
    rows = []
    for cohort in sorted(active)[-cohorts:]:
        by_month = active[cohort]
        size = by_month.get(0, 0)
        age = latest - _month_index(cohort)
        retention = [
            (by_month.get(k, 0) / size if size else 0.0) if k <= age else None
            for k in range(months)
        ]
        rows.append(CohortRow(cohort, size, repeaters.get(cohort, 0) / size if size else 0.0,
                              retention))
    return RetentionTable(rows, months)


@dataclass(frozen=True)
class ChurnMonth:
    month: date  # first day of the month
    customers: int  # customers who had bought by the end of the month
    churned: int  # of them, those whose last purchase was ``days`` or more days before

    @property
    def share(self) -> float | None:
        return self.churned / self.customers if self.customers else None


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def churn_over_time(*, months: int = 12, days: int = 180,
                    now: datetime | None = None) -> list[ChurnMonth]:
    """For each of the last ``months`` months: of the customers who had bought by its
    end, the share whose latest purchase was at least ``days`` days before that end.

    The current month is measured as of ``now``. One aggregate over the orders:
    for each month, the distinct customers who had bought before its end and
    those who bought within the ``days`` before it; the lapsed are the difference.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    starts = [_month_start(today.year, today.month - k) for k in range(months - 1, -1, -1)]
    ends = [min(timezone.make_aware(datetime.combine(_month_start(s.year, s.month + 1),
                                                     time.min)), now) for s in starts]
    counts = {}
    for i, end in enumerate(ends):
        counts[f"customers_{i}"] = Count("customer_id", distinct=True,
                                         filter=Q(ordered_at__lt=end))
        counts[f"recent_{i}"] = Count("customer_id", distinct=True, filter=Q(
            ordered_at__lt=end, ordered_at__gte=end - timedelta(days=days)))
    row = Order.objects.exclude(status__in=EXCLUDED).aggregate(**counts)
    return [ChurnMonth(start, row[f"customers_{i}"], row[f"customers_{i}"] - row[f"recent_{i}"])
            for i, start in enumerate(starts)]
