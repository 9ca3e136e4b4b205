"""When digests and reminders are due: ISO weeks, Europe/Stockholm wall clock, DST days, catch-up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from followup.schedule import (
    STOCKHOLM,
    CatchUp,
    ScheduleError,
    due_slot,
    end_of_day,
    iso_week,
    local_moment,
    meeting_for_reminder,
    meeting_weekday,
    next_due,
    next_meeting,
    parse_time,
    reminder_day,
    slot_in_week,
)

UTC = timezone.utc


def sthlm(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


def test_iso_weeks_at_year_boundaries() -> None:
    assert iso_week(date(2018, 5, 14)) == (2018, 20)
    assert iso_week(date(2018, 12, 31)) == (2019, 1)  # a Monday that belongs to next ISO year
    assert iso_week(date(2021, 1, 1)) == (2020, 53)  # 2020 has 53 weeks
    assert iso_week(date(2027, 1, 3)) == (2026, 53)


def test_default_monday_0730_is_0530_utc_in_summer_and_0630_in_winter() -> None:
    summer = slot_in_week(2018, 20, 0, time(7, 30))
    assert summer.due.astimezone(UTC) == datetime(2018, 5, 14, 5, 30, tzinfo=UTC)
    winter = slot_in_week(2018, 2, 0, time(7, 30))
    assert winter.due.astimezone(UTC) == datetime(2018, 1, 8, 6, 30, tzinfo=UTC)


def test_spring_forward_last_sunday_of_march() -> None:
    # 25 March 2018: clocks jump 02:00 → 03:00. 02:30 does not exist; it is moved to 03:30 CEST.
    moment = local_moment(date(2018, 3, 25), time(2, 30))
    assert moment.astimezone(UTC) == datetime(2018, 3, 25, 1, 30, tzinfo=UTC)
    assert (moment.hour, moment.minute) == (3, 30)
    assert moment.utcoffset() == timedelta(hours=2)
    # A Sunday 07:30 digest on that day is due at 05:30 UTC (summer time already).
    slot = slot_in_week(2018, 12, 6, time(7, 30))
    assert slot.due.astimezone(UTC) == datetime(2018, 3, 25, 5, 30, tzinfo=UTC)
    # That day has 23 hours: the catch-up window ends at local midnight, 22:00 UTC.
    assert end_of_day(date(2018, 3, 25)).astimezone(UTC) == datetime(2018, 3, 25, 22, 0, tzinfo=UTC)


def test_fall_back_last_sunday_of_october_uses_the_first_0230() -> None:
    # 28 October 2018: 03:00 CEST → 02:00 CET; 02:30 happens twice. The first one is used, once.
    moment = local_moment(date(2018, 10, 28), time(2, 30))
    assert moment.astimezone(UTC) == datetime(2018, 10, 28, 0, 30, tzinfo=UTC)
    slot = slot_in_week(2018, 43, 6, time(2, 30))
    # Due at the first 02:30; still the same slot (same week key) an hour later at the second 02:30.
    first = datetime(2018, 10, 28, 0, 30, tzinfo=UTC)
    second = datetime(2018, 10, 28, 1, 30, tzinfo=UTC)
    assert due_slot(first, 6, time(2, 30)) == slot
    assert due_slot(second, 6, time(2, 30)) == slot
    assert due_slot(first - timedelta(seconds=1), 6, time(2, 30)) is None
    # The day has 25 hours.
    assert end_of_day(date(2018, 10, 28)).astimezone(UTC) == datetime(2018, 10, 28, 23, 0, tzinfo=UTC)


def test_monday_after_the_dst_change_is_still_0730_local() -> None:
    after_spring = slot_in_week(2018, 13, 0, time(7, 30))  # Monday 26 March
    assert after_spring.due.astimezone(STOCKHOLM).time() == time(7, 30)
    assert after_spring.due.astimezone(UTC).hour == 5
    after_fall = slot_in_week(2018, 44, 0, time(7, 30))  # Monday 29 October
    assert after_fall.due.astimezone(STOCKHOLM).time() == time(7, 30)
    assert after_fall.due.astimezone(UTC).hour == 6


def test_due_slot_window_same_day_by_default() -> None:
    at = time(7, 30)
    assert due_slot(sthlm(2018, 5, 14, 7, 29), 0, at) is None
    slot = due_slot(sthlm(2018, 5, 14, 7, 30), 0, at)
    assert slot is not None and slot.key == (2018, 20)
    assert due_slot(sthlm(2018, 5, 14, 23, 59), 0, at) == slot  # catch-up later the same day
    assert due_slot(sthlm(2018, 5, 15, 0, 0), 0, at) is None  # never a day late
    assert due_slot(sthlm(2018, 5, 20, 12, 0), 0, at) is None  # Sunday: this week's Monday is long gone


def test_configured_catch_up_window() -> None:
    window = CatchUp(hours=2)
    at = time(7, 30)
    assert due_slot(sthlm(2018, 5, 14, 9, 29), 0, at, window) is not None
    assert due_slot(sthlm(2018, 5, 14, 9, 30), 0, at, window) is None
    # A window longer than the day still ends at midnight.
    late = CatchUp(hours=48)
    assert due_slot(sthlm(2018, 5, 14, 23, 0), 0, time(22, 0), late) is not None
    assert due_slot(sthlm(2018, 5, 15, 0, 30), 0, time(22, 0), late) is None


def test_sunday_digest_belongs_to_the_week_it_ends() -> None:
    slot = due_slot(sthlm(2018, 12, 30, 8, 0), 6, time(7, 30))
    assert slot is not None and slot.key == (2018, 52)
    monday = due_slot(sthlm(2018, 12, 31, 8, 0), 0, time(7, 30))
    assert monday is not None and monday.key == (2019, 1)


def test_next_due_skips_to_next_week_and_crosses_dst() -> None:
    nxt = next_due(sthlm(2018, 3, 19, 8, 0), 0, time(7, 30))  # Monday after 07:30 → next Monday
    assert nxt == sthlm(2018, 3, 26, 7, 30)
    assert nxt.utcoffset() == timedelta(hours=2)
    assert next_due(sthlm(2018, 3, 19, 7, 0), 0, time(7, 30)) == sthlm(2018, 3, 19, 7, 30)


def test_parse_time_and_bad_input() -> None:
    assert parse_time("07:30") == time(7, 30)
    assert parse_time("8.05") == time(8, 5)
    for bad in ("24:00", "7", "07:60", "", "sju"):
        with pytest.raises(ScheduleError):
            parse_time(bad)
    with pytest.raises(ScheduleError):
        due_slot(datetime(2018, 5, 14, 8, 0), 0, time(7, 30))  # naive
    with pytest.raises(ScheduleError):
        slot_in_week(2018, 20, 7, time(7, 30))


def test_meeting_day_defaults_to_the_subscription_weekday() -> None:
    assert meeting_weekday(3, [0]) == 3
    assert meeting_weekday(None, [1, 4]) == 1
    assert meeting_weekday(None, []) is None


def test_reminder_is_the_working_day_before() -> None:
    thursday = date(2018, 5, 17)
    assert reminder_day(thursday) == date(2018, 5, 16)
    monday = date(2018, 5, 21)
    assert reminder_day(monday) == date(2018, 5, 18)  # Friday, not Sunday
    assert meeting_for_reminder(date(2018, 5, 18), 0) == monday
    assert meeting_for_reminder(date(2018, 5, 20), 0) is None  # Sunday: nothing
    assert meeting_for_reminder(date(2018, 5, 16), 3) == thursday
    assert meeting_for_reminder(date(2018, 5, 15), 3) is None
    assert next_meeting(date(2018, 5, 17), 3) == thursday
    assert next_meeting(date(2018, 5, 18), 3) == date(2018, 5, 24)
