"""Next-run and period computation: pure, across month ends and summer time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dangol.reports.timing import (
    Cadence,
    Period,
    latest_run,
    next_run,
    period_before,
    period_for_run,
    previous_period,
    previous_run,
    trend_periods,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_daily_runs_later_today_or_tomorrow_in_seoul():
    cadence = Cadence("daily", hour=9)
    assert next_run(cadence, after=local(SEOUL, 2026, 3, 1, 8, 59), zone=SEOUL) == \
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    # exactly at the run time: the next one is tomorrow
    assert next_run(cadence, after=local(SEOUL, 2026, 3, 1, 9, 0), zone=SEOUL) == \
        local(SEOUL, 2026, 3, 2, 9, 0)


def test_daily_at_midnight_crosses_the_year_end():
    cadence = Cadence("daily", hour=0)
    assert next_run(cadence, after=local(SEOUL, 2026, 12, 31, 23, 30), zone=SEOUL) == \
        local(SEOUL, 2027, 1, 1, 0, 0)


def test_weekly_on_a_weekday():
    cadence = Cadence("weekly", hour=8, weekday=0)  # Monday
    # Wednesday 2026-11-25 -> Monday 2026-11-30
    assert next_run(cadence, after=local(SEOUL, 2026, 11, 25, 10), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 30, 8)
    # Monday before 08:00 -> the same day
    assert next_run(cadence, after=local(SEOUL, 2026, 11, 30, 7), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 30, 8)


@pytest.mark.parametrize(("after", "expected"), [
    ((2026, 1, 31, 10), (2026, 2, 28, 6)),   # no 31 February: its last day
    ((2028, 1, 31, 10), (2028, 2, 29, 6)),   # leap year
    ((2026, 2, 28, 7), (2026, 3, 31, 6)),    # already past February's run
    ((2026, 4, 1, 0), (2026, 4, 30, 6)),     # 30-day month
    ((2026, 12, 31, 6), (2027, 1, 31, 6)),   # at the run time: next month
])
def test_monthly_on_day_31_means_the_last_day_of_each_month(after, expected):
    cadence = Cadence("monthly", hour=6, day_of_month=31)
    assert next_run(cadence, after=local(SEOUL, *after), zone=SEOUL) == local(SEOUL, *expected)


def test_monthly_on_the_first():
    cadence = Cadence("monthly", hour=9, day_of_month=1)
    assert next_run(cadence, after=local(SEOUL, 2026, 11, 24, 1), zone=SEOUL) == \
        local(SEOUL, 2026, 12, 1, 9)


def test_seoul_has_no_summer_time_so_9am_is_always_0am_utc():
    cadence = Cadence("daily", hour=9)
    for month in range(1, 13):
        run = next_run(cadence, after=local(SEOUL, 2026, month, 10, 12), zone=SEOUL)
        assert run.astimezone(UTC).hour == 0


def test_a_zone_with_summer_time_keeps_the_wall_clock_hour():
    cadence = Cadence("daily", hour=9)
    before = next_run(cadence, after=local(NEW_YORK, 2026, 3, 6, 12), zone=NEW_YORK)
    after = next_run(cadence, after=before, zone=NEW_YORK)  # 8 March: clocks go forward
    assert before.astimezone(UTC).hour == 14 and after.astimezone(UTC).hour == 13
    assert after.astimezone(NEW_YORK).hour == 9
    assert (after - before).total_seconds() == 23 * 3600
    autumn = next_run(cadence, after=local(NEW_YORK, 2026, 10, 30, 12), zone=NEW_YORK)
    following = next_run(cadence, after=autumn, zone=NEW_YORK)  # 1 November: back
    assert (following - autumn).total_seconds() == 25 * 3600
    assert following.astimezone(NEW_YORK).hour == 9


def test_an_hour_skipped_by_the_clock_change_runs_once_just_after():
    cadence = Cadence("daily", hour=2)  # 02:00 does not exist on 8 March 2026 in New York
    run = next_run(cadence, after=local(NEW_YORK, 2026, 3, 7, 12), zone=NEW_YORK)
    assert run.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 3, 8, 3, 0)
    following = next_run(cadence, after=run, zone=NEW_YORK)
    assert following.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 3, 9, 2, 0)


def test_an_hour_repeated_by_the_clock_change_runs_once():
    cadence = Cadence("daily", hour=1)  # 01:00 happens twice on 1 November 2026
    run = next_run(cadence, after=local(NEW_YORK, 2026, 10, 31, 12), zone=NEW_YORK)
    assert run == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # the first 01:00 (EDT)
    following = next_run(cadence, after=run, zone=NEW_YORK)
    assert following.astimezone(NEW_YORK).date() == date(2026, 11, 2)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        next_run(Cadence("daily", hour=1), after=datetime(2026, 1, 1), zone=SEOUL)


def test_latest_run_after_downtime_is_the_last_one_due():
    cadence = Cadence("daily", hour=9)
    due = local(SEOUL, 2026, 11, 20, 9)
    assert latest_run(cadence, due=due, now=local(SEOUL, 2026, 11, 24, 10), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 24, 9)
    assert latest_run(cadence, due=due, now=local(SEOUL, 2026, 11, 20, 9, 30), zone=SEOUL) == due


def test_periods_end_where_the_run_day_starts():
    assert period_before("daily", run_day=date(2026, 3, 1)) == \
        Period(date(2026, 2, 28), date(2026, 3, 1))
    assert period_before("weekly", run_day=date(2026, 11, 30)) == \
        Period(date(2026, 11, 23), date(2026, 11, 30))
    assert period_before("monthly", run_day=date(2026, 3, 31)) == \
        Period(date(2026, 2, 1), date(2026, 3, 1))
    assert period_before("monthly", run_day=date(2027, 1, 1)) == \
        Period(date(2026, 12, 1), date(2027, 1, 1))
    # a run at 00:30 Seoul (still the day before in UTC) reports the Seoul day before
    assert period_for_run("daily", due=datetime(2026, 11, 23, 15, 30, tzinfo=UTC),
                          zone=SEOUL) == Period(date(2026, 11, 23), date(2026, 11, 24))


def test_previous_and_trend_periods():
    march = Period(date(2026, 3, 1), date(2026, 4, 1))
    assert previous_period("monthly", march) == Period(date(2026, 2, 1), date(2026, 3, 1))
    trend = trend_periods("monthly", march, 3)
    assert [p.start for p in trend] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    week = Period(date(2026, 11, 23), date(2026, 11, 30))
    assert previous_period("weekly", week) == Period(date(2026, 11, 16), date(2026, 11, 23))


def test_previous_run_is_the_last_firing_at_or_before():
    weekly = Cadence("weekly", hour=9, weekday=0)
    assert previous_run(weekly, at=local(SEOUL, 2026, 11, 24, 10), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 23, 9)
    assert previous_run(weekly, at=local(SEOUL, 2026, 11, 23, 9), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 23, 9)
    assert previous_run(weekly, at=local(SEOUL, 2026, 11, 23, 8, 59), zone=SEOUL) == \
        local(SEOUL, 2026, 11, 16, 9)
    month_end = Cadence("monthly", hour=6, day_of_month=31)
    assert previous_run(month_end, at=local(SEOUL, 2026, 3, 15), zone=SEOUL) == \
        local(SEOUL, 2026, 2, 28, 6)
