"""When a report is due and which days it covers: pure functions, no database.

A schedule fires at ``hour``:00 business time on each matching day: every day,
on one weekday, or on one day of the month (the last day of a shorter month when
the day does not exist in it: 31 means "month end"). Times are computed on the
wall clock of the business time zone and then converted, so a report due at
09:00 stays at 09:00 across a change to or from summer time. A wall time that a
spring-forward skips is taken in the offset before the change (02:30 becomes
03:30); one that a fall-back repeats is the first of the two.

The period a run covers ends at the start of the day it is due (exclusive):
yesterday for a daily report, the seven days before for a weekly one, the
previous calendar month for a monthly one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY)

#: How far ahead a next run is looked for (a monthly one is at most 31 days away).
_HORIZON_DAYS = 400


@dataclass(frozen=True)
class Cadence:
    frequency: str
    hour: int
    weekday: int | None = None  # 0 = Monday … 6 = Sunday, for weekly
    day_of_month: int | None = None  # 1 … 31, for monthly

    def matches(self, day: date) -> bool:
        if self.frequency == DAILY:
            return True
        if self.frequency == WEEKLY:
            return day.weekday() == self.weekday
        if self.frequency == MONTHLY:
            assert self.day_of_month is not None
            last = calendar.monthrange(day.year, day.month)[1]
            return day.day == min(self.day_of_month, last)
        raise ValueError(f"unknown frequency {self.frequency!r}")


@dataclass(frozen=True)
class Period:
    """Days ``start`` (inclusive) to ``end`` (exclusive), in the business time zone."""

    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _wall_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 on ``day`` in ``zone``, in UTC (see the module note on summer time)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


def next_run(cadence: Cadence, *, after: datetime, zone: ZoneInfo) -> datetime:
    """The first time strictly after ``after`` (aware) that ``cadence`` fires, in UTC."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    day = after.astimezone(zone).date()
    for offset in range(_HORIZON_DAYS):
        candidate_day = day + timedelta(days=offset)
        if cadence.matches(candidate_day):
            candidate = _wall_time(candidate_day, cadence.hour, zone)
            if candidate > after:
                return candidate
    raise ValueError("no run within a year")  # pragma: no cover - matches() always hits


def previous_run(cadence: Cadence, *, at: datetime, zone: ZoneInfo) -> datetime:
    """The last time at or before ``at`` (aware) that ``cadence`` fired, in UTC."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    day = at.astimezone(zone).date()
    for offset in range(_HORIZON_DAYS):
        candidate_day = day - timedelta(days=offset)
        if cadence.matches(candidate_day):
            candidate = _wall_time(candidate_day, cadence.hour, zone)
            if candidate <= at:
                return candidate
    raise ValueError("no run within a year")  # pragma: no cover - matches() always hits


def latest_run(cadence: Cadence, *, due: datetime, now: datetime, zone: ZoneInfo) -> datetime:
    """The last firing time at or before ``now``, starting from a known one ``due``
    (after downtime, only the latest missed period is reported)."""
    latest = due
    while True:
        following = next_run(cadence, after=latest, zone=zone)
        if following > now:
            return latest
        latest = following


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_start(day: date) -> date:
    return _month_start(_month_start(day) - timedelta(days=1))


def period_before(frequency: str, *, run_day: date) -> Period:
    """The complete period reported by a run on ``run_day`` (business date)."""
    if frequency == DAILY:
        return Period(run_day - timedelta(days=1), run_day)
    if frequency == WEEKLY:
        return Period(run_day - timedelta(days=7), run_day)
    if frequency == MONTHLY:
        end = _month_start(run_day)
        return Period(_previous_month_start(end), end)
    raise ValueError(f"unknown frequency {frequency!r}")


def period_for_run(frequency: str, *, due: datetime, zone: ZoneInfo) -> Period:
    return period_before(frequency, run_day=due.astimezone(zone).date())


def previous_period(frequency: str, period: Period) -> Period:
    """The period of the same kind just before ``period`` (for the change)."""
    return period_before(frequency, run_day=period.start)


def trend_periods(frequency: str, period: Period, count: int) -> list[Period]:
    """``count`` periods ending with ``period``, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.insert(0, previous_period(frequency, periods[0]))
    return periods


def bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period's start and end as aware datetimes (midnight business time)."""
    return (datetime(period.start.year, period.start.month, period.start.day, tzinfo=zone),
            datetime(period.end.year, period.end.month, period.end.day, tzinfo=zone))
