"""When a weekly digest or a tavelmöte reminder is due — pure, DST-safe, in Europe/Stockholm.

A subscription is due once per ISO week: at its weekday and wall-clock time in Stockholm. A server that
was down at that moment catches up later within a window (the rest of that day by default). The ISO week
of the *due day* is the key of the run, so a catch-up never turns into a second digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DEFAULT_WEEKDAY = 0  # måndag
DEFAULT_TIME = "07:30"
DEFAULT_REMINDER_TIME = "09:00"  # the working day before the tavelmöte

WEEKDAY_NAMES_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")


class ScheduleError(ValueError):
    """A weekday or time of day that cannot be used."""


def parse_time(value: str) -> time:
    """``"07:30"`` / ``"7.30"`` → ``time(7, 30)``; ``ScheduleError`` otherwise."""
    match = _TIME.match(value or "")
    if not match:
        raise ScheduleError(f"not a time of day: {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def format_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def check_weekday(weekday: int) -> int:
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        raise ScheduleError(f"not a weekday 0–6: {weekday!r}")
    return weekday


def weekday_name(weekday: int, lang: str = "sv") -> str:
    return (WEEKDAY_NAMES_SV if lang == "sv" else WEEKDAY_NAMES_EN)[weekday]


def iso_week(day: date) -> tuple[int, int]:
    """(ISO year, ISO week) — 31 Dec 2018 belongs to 2019 week 1, 1 Jan 2021 to 2020 week 53."""
    iso = day.isocalendar()
    return iso[0], iso[1]


def monday_of(iso_year: int, week: int) -> date:
    return date.fromisocalendar(iso_year, week, 1)


def local_moment(day: date, at: time, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The aware moment a wall clock in ``tz`` shows ``at`` on ``day``.

    Spring forward (last Sunday of March, 02:00–03:00 does not exist): a time in the gap is moved forward
    by the hour that was skipped (02:30 → 03:30). Fall back (last Sunday of October, 02:00–03:00 happens
    twice): the first occurrence. Either way the result is a real instant that exists exactly once.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    # Round-trip through UTC: a non-existent wall time normalises to the real instant after the gap.
    return first.astimezone(timezone.utc).astimezone(tz)


def end_of_day(day: date, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """Local midnight after ``day`` (23 or 25 hours after the start on DST days)."""
    return local_moment(day + timedelta(days=1), time(0, 0), tz)


@dataclass(frozen=True)
class CatchUp:
    """How long after the due moment a missed digest is still sent.

    ``hours=None`` (the default): until the end of the same local day. A number: that many hours after
    the due moment, but never past the end of the same day — a digest is never sent a day late.
    """

    hours: float | None = None

    def deadline(self, due: datetime, tz: ZoneInfo = STOCKHOLM) -> datetime:
        day_end = end_of_day(due.astimezone(tz).date(), tz)
        if self.hours is None:
            return day_end
        return min(due + timedelta(hours=max(0.0, self.hours)), day_end)


@dataclass(frozen=True)
class Slot:
    """One due occurrence: the ISO week it belongs to, when it is due, and until when it may be sent."""

    iso_year: int
    iso_week: int
    due: datetime
    until: datetime

    @property
    def key(self) -> tuple[int, int]:
        return self.iso_year, self.iso_week


def slot_in_week(iso_year: int, week: int, weekday: int, at: time, catch_up: CatchUp = CatchUp(),
                 tz: ZoneInfo = STOCKHOLM) -> Slot:
    day = monday_of(iso_year, week) + timedelta(days=check_weekday(weekday))
    due = local_moment(day, at, tz)
    return Slot(iso_year, week, due, catch_up.deadline(due, tz))


def due_slot(now: datetime, weekday: int, at: time, catch_up: CatchUp = CatchUp(),
             tz: ZoneInfo = STOCKHOLM) -> Slot | None:
    """The slot that should be sent at ``now``, or None (not yet this week, or the window has passed)."""
    if now.tzinfo is None:
        raise ScheduleError("now must be timezone-aware")
    local = now.astimezone(tz)
    year, week = iso_week(local.date())
    slot = slot_in_week(year, week, weekday, at, catch_up, tz)
    if slot.due <= now < slot.until:
        return slot
    return None


def next_due(now: datetime, weekday: int, at: time, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The next due moment strictly after ``now`` (for showing "nästa: måndag 4 juni kl. 07:30")."""
    local = now.astimezone(tz)
    start = local.date() - timedelta(days=local.weekday())
    for offset in range(0, 15):
        day = start + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        moment = local_moment(day, at, tz)
        if moment > now:
            return moment
    raise AssertionError("unreachable: a weekday occurs within two weeks")


# --- tavelmöte and reminders ------------------------------------------------------------------


def meeting_weekday(unit_weekday: int | None, subscription_weekdays: list[int] | tuple[int, ...] = ()) -> int | None:
    """The enhet's tavelmöte day: its own setting, else the weekday of its digest subscription, else None."""
    if unit_weekday is not None:
        return check_weekday(unit_weekday)
    return min(subscription_weekdays) if subscription_weekdays else None


def next_meeting(today: date, weekday: int) -> date:
    """The next tavelmöte on or after ``today``."""
    return today + timedelta(days=(check_weekday(weekday) - today.weekday()) % 7)


def reminder_day(meeting: date) -> date:
    """The working day before the tavelmöte: Friday for a Monday meeting (no reminders on weekends)."""
    day = meeting - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def meeting_for_reminder(today: date, weekday: int) -> date | None:
    """The tavelmöte whose reminder falls on ``today``, or None."""
    for offset in range(1, 5):
        meeting = today + timedelta(days=offset)
        if meeting.weekday() == weekday and reminder_day(meeting) == today:
            return meeting
    return None


def week_end(day: date) -> date:
    """The Sunday ending ``day``'s ISO week."""
    return day + timedelta(days=6 - day.weekday())
